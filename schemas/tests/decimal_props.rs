//! Property tests: decimal text round trips exactly, comparisons agree with exact arithmetic.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_schemas::{Decimal, DecimalError, parse_fixed};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Any value formats to text that parses back to the same value and the same text.
    #[test]
    fn format_then_parse_is_identity(m in any::<i128>().prop_filter("not MIN", |m| *m != i128::MIN), e in -60i8..=60) {
        let d = Decimal::new(m, e);
        let text = d.to_string();
        let back: Decimal = text.parse().unwrap();
        prop_assert_eq!(back, d);
        prop_assert_eq!(back.to_string(), text);
    }

    /// Canonical venue text (sign, integer part, optional fraction with any trailing zeros)
    /// parses and formats back to the very same text.
    #[test]
    fn venue_text_round_trips(text in "-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,18})?") {
        // Negative zero has no sign once parsed: "-0.00" formats as "0.00".
        prop_assume!(!(text.starts_with('-') && text.bytes().all(|b| matches!(b, b'-' | b'0' | b'.'))));
        let d: Decimal = text.parse().unwrap();
        prop_assert_eq!(d.to_string(), text);
    }

    /// Exponent notation denotes exactly mantissa × 10^exp.
    #[test]
    fn exponent_notation_is_exact(m in -999_999_999_999i64..999_999_999_999, e in -40i32..40) {
        let text = format!("{m}e{e}");
        let d: Decimal = text.parse().unwrap();
        prop_assert_eq!(d, Decimal::new(i128::from(m), e as i8));
        let upper = format!("{m}E+{e}");
        if e >= 0 {
            prop_assert_eq!(upper.parse::<Decimal>().unwrap(), d);
        }
    }

    /// Ordering matches exact rational comparison (cross-multiplied in i128 where it fits).
    #[test]
    fn ordering_is_exact(a in -1_000_000_000i64..1_000_000_000, ea in -9i8..9, b in -1_000_000_000i64..1_000_000_000, eb in -9i8..9) {
        let (x, y) = (Decimal::new(i128::from(a), ea), Decimal::new(i128::from(b), eb));
        let lo = ea.min(eb);
        let sx = i128::from(a) * 10i128.pow((ea - lo) as u32);
        let sy = i128::from(b) * 10i128.pow((eb - lo) as u32);
        prop_assert_eq!(x.cmp(&y), sx.cmp(&sy));
        prop_assert_eq!(x == y, sx == sy);
    }

    /// Parsing to a record mantissa never rounds: it is exact or an error.
    #[test]
    fn fixed_parse_is_exact_or_refused(m in any::<i64>(), scale in 0u32..12, target in -12i8..=0) {
        let d = Decimal::new(i128::from(m), -(scale as i8));
        let text = d.to_string();
        match parse_fixed(text.as_bytes(), target) {
            Ok(v) => prop_assert_eq!(Decimal::from_fixed(v, target), d),
            Err(DecimalError::Precision { .. }) => prop_assert!(d.rescale(target).is_err()),
            Err(DecimalError::Overflow) => prop_assert!(d.rescale(target).map_or(true, |v| i64::try_from(v).is_err())),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Decimal::parse(&bytes);
    }
}
