//! Helpers shared by the multi-process tests and their child process.

#![forbid(unsafe_code)]

use mdbus_schemas::{Header, InstrumentId, Kind, Nanos, Trade};
use zerocopy::IntoBytes;

/// Flag of the last record a test writer publishes.
pub const END_FLAG: u8 = 0xEE;

/// FNV-1a over the writer-supplied bytes of a trade: everything but the ring sequence (word 0),
/// the publish time the bus stamps (word 5) and the checksum itself (word 7).
pub fn checksum(t: &Trade) -> i64 {
    let b = t.as_bytes();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &x in b[8..40].iter().chain(&b[48..56]) {
        h = (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// The `i`-th test record: every field derived from `i`, the checksum in `qty`.
pub fn record(i: u64, flags: u8) -> Trade {
    let mut t = Trade {
        header: Header {
            kind: Kind::TRADE,
            flags,
            instrument: InstrumentId(i as u32),
            venue_seq: i,
            venue_ts: Nanos(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            recv_ts: Nanos(i ^ 0x5555_5555),
            ..Header::default()
        },
        price: (i as i64).wrapping_mul(13),
        qty: 0,
        trade_id: (u128::from(i) << 64 | u128::from(i)).to_le_bytes(),
        trade_id_kind: mdbus_schemas::TradeId::NUMBER_KIND,
        _pad: [0; 47],
    };
    t.qty = checksum(&t);
    t
}

/// Returns `true` when a received trade's checksum matches its bytes.
pub fn intact(t: &Trade) -> bool {
    t.qty == checksum(t)
}
