//! The mdbus SDK: what strategy processes link against besides the ring reader.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod rate_limit;
