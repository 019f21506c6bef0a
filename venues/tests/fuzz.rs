//! Bounded fuzzing of the Binance decoder: arbitrary bytes and mutated real frames never panic,
//! and wherever the fast path answers (the documented key order first, then the general
//! scanner), serde_json agrees with it.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use mdbus_feeder::{DecodeError, Levels};
use mdbus_venues::binance;
use proptest::prelude::*;

const FRAMES: [&str; 10] = [
    r#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true}"#,
    r#"{"e":"depthUpdate","E":1571889248277,"s":"BTCUSDT","U":390497796,"u":390497878,"b":[["7403.89000000","0.12500000"],["7403.88000000","1.62500000"]],"a":[["7403.90000000","12345678.00000001"]]}"#,
    r#"{"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[["1.5","2"]]}}"#,
    r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
    r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    r#"{"e":"depthUpdate","E":123456789,"T":123456788,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"],["0.0023","1"]],"a":[["0.0026","100"]]}"#,
    r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#,
    r#"{"e":"kline","E":1,"s":"BNBBTC","k":{"t":1,"T":2,"s":"BNBBTC","i":"1m","o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000"}}"#,
    r#"{"stream":"bnbbtc@depth20","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[]}}"#,
];

fn check(frame: &[u8]) -> Result<(), TestCaseError> {
    let (mut a, mut b) = (Levels::default(), Levels::default());
    let full = binance::decode(frame, &mut a);
    match binance::decode_fast(frame, &mut b) {
        Ok(Some(fast)) => {
            let mut c = Levels::default();
            let reference = binance::decode_serde(frame, &mut c);
            // serde_json rejects some inputs the scanner accepts (duplicate keys, trailing
            // bytes); where both decode, they must agree.
            if let Ok(reference) = reference {
                prop_assert_eq!(fast, reference);
                prop_assert_eq!(&b, &c);
            }
            prop_assert!(full.is_ok());
        }
        // What the scanner calls malformed, serde_json does not read either: the fast path
        // reports it itself, without handing it on.
        Err(DecodeError::Malformed { .. }) => {
            let mut c = Levels::default();
            prop_assert!(binance::decode_serde(frame, &mut c).is_err(), "the scanner refused JSON serde_json reads");
        }
        _ => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes)?;
    }

    #[test]
    fn mutated_frames_never_panic(which in 0..FRAMES.len(), edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
        let mut f = FRAMES[which].as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at % f.len();
            f[i] = byte;
        }
        check(&f)?;
        let n = cut % (f.len() + 1);
        check(&f[..n])?;
    }
}
