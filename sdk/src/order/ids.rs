//! Client order ids: unique per process and across restarts, within every venue's charset and
//! length limits (`[A-Za-z0-9_-]`, at most 32 characters).

use std::sync::atomic::{AtomicU64, Ordering};

/// Generates client order ids `mdbus-<start>-<pid><g>-<n>`: `start` is the generator's creation
/// time in milliseconds (base 36), so ids never repeat across restarts, `pid` the process, `g`
/// the generator's number within the process (two clients made in the same millisecond differ),
/// and `n` a counter.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::order::ClientOrderIds;
/// let ids = ClientOrderIds::new("mdbus");
/// let (a, b) = (ids.next(), ids.next());
/// assert_ne!(a, b);
/// assert!(a.len() <= 32 && a.starts_with("mdbus-"));
/// ```
#[derive(Debug)]
pub struct ClientOrderIds {
    prefix: String,
    counter: AtomicU64,
}

fn base36(mut n: u64, out: &mut String) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = [0u8; 13];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

impl ClientOrderIds {
    /// Returns a generator whose ids start with `tag` (cut to 8 characters of `[A-Za-z0-9]`).
    pub fn new(tag: &str) -> ClientOrderIds {
        let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
        let mut prefix = if tag.is_empty() { "mdbus".to_owned() } else { tag };
        prefix.push('-');
        base36(mdbus_bus::now_ns() / 1_000_000, &mut prefix);
        prefix.push('-');
        base36(u64::from(std::process::id()), &mut prefix);
        static GENERATORS: AtomicU64 = AtomicU64::new(0);
        let g = GENERATORS.fetch_add(1, Ordering::Relaxed);
        prefix.push(char::from(b'a' + (g % 26) as u8));
        base36(g / 26, &mut prefix);
        prefix.push('-');
        ClientOrderIds { prefix, counter: AtomicU64::new(0) }
    }

    /// Returns the next id.
    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut s = self.prefix.clone();
        base36(n, &mut s);
        s.truncate(32);
        s
    }
}
