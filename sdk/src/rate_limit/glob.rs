//! Shell-style glob patterns for endpoint scopes, with the seed's `fnmatch` semantics: `*`
//! matches any run of characters including `/`, `?` one character, `[abc]`, `[a-z]` and
//! `[!abc]` one character of (or not of) a set. Matching allocates nothing.

/// Returns whether `pattern` is well formed (every `[` has its `]`).
pub(crate) fn is_valid(pattern: &str) -> bool {
    let p = pattern.as_bytes();
    let mut i = 0;
    while i < p.len() {
        if p[i] == b'[' {
            match class_end(p, i) {
                Some(end) => i = end,
                None => return false,
            }
        }
        i += 1;
    }
    true
}

/// Index of the `]` closing the class opened at `open`.
fn class_end(p: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if p.get(i) == Some(&b'!') {
        i += 1;
    }
    // A `]` right after `[` or `[!` is a member, as in fnmatch.
    if p.get(i) == Some(&b']') {
        i += 1;
    }
    while i < p.len() {
        if p[i] == b']' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Matches one text byte against the single-character pattern element at `p[i..]`; returns
/// whether it matched and the index after the element.
fn element(p: &[u8], i: usize, c: u8) -> (bool, usize) {
    match p[i] {
        b'?' => (true, i + 1),
        b'[' => match class_end(p, i) {
            Some(end) => {
                let mut j = i + 1;
                let inverted = p[j] == b'!';
                if inverted {
                    j += 1;
                }
                let mut hit = false;
                while j < end {
                    if j + 2 < end && p[j + 1] == b'-' {
                        hit |= p[j] <= c && c <= p[j + 2];
                        j += 3;
                    } else {
                        hit |= p[j] == c;
                        j += 1;
                    }
                }
                (hit != inverted, end + 1)
            }
            None => (c == b'[', i + 1),
        },
        lit => (lit == c, i + 1),
    }
}

/// Returns whether `text` matches `pattern` (validated with [`is_valid`]).
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: pattern index after it, text index it matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            pi += 1;
            star = Some((pi, ti));
            continue;
        }
        if pi < p.len() {
            let (ok, next) = element(p, pi, t[ti]);
            if ok {
                pi = next;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_across_slashes_like_fnmatch() {
        assert!(matches("/api/v3/order*", "/api/v3/order"));
        assert!(matches("/api/v3/order*", "/api/v3/order/test"));
        assert!(matches("/api/v3/order*", "/api/v3/orderList"));
        assert!(!matches("/api/v3/order*", "/api/v3/ticker"));
        assert!(!matches("/api/v3/order*", "/api/v3/orde"));
        assert!(matches("*", ""));
        assert!(matches("/fapi/*/order", "/fapi/v1/order"));
        assert!(!matches("/fapi/*/order", "/fapi/v1/order/x"));
        assert!(matches("*a*b*c", "xxaybzzc"));
        assert!(!matches("*a*b*c", "xxaybzz"));
    }

    #[test]
    fn question_mark_and_classes() {
        assert!(matches("/api/v?/time", "/api/v3/time"));
        assert!(!matches("/api/v?/time", "/api/v33/time"));
        assert!(matches("/api/v[13]/x", "/api/v1/x"));
        assert!(!matches("/api/v[13]/x", "/api/v2/x"));
        assert!(matches("/api/v[0-9]/x", "/api/v7/x"));
        assert!(matches("/api/v[!0-9]/x", "/api/vz/x"));
        assert!(!matches("/api/v[!0-9]/x", "/api/v5/x"));
        assert!(matches("[]]", "]"));
    }

    #[test]
    fn unclosed_class_is_invalid() {
        assert!(!is_valid("/api/[v3"));
        assert!(is_valid("/api/[v]3*"));
        assert!(is_valid("/api/v3/order*"));
    }
}
