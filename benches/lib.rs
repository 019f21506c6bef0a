//! Criterion micro-benchmarks of the hot paths, run with `cargo bench -p mdbus-benches`.
//! Cross-core and cross-process figures come from `mdbus bench ring` instead.

#![forbid(unsafe_code)]
