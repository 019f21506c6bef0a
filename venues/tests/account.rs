//! User-data events to account records: Binance's documented samples, exact decimals,
//! malformed frames rejected whole, and a fuzz run that never panics.

#![allow(clippy::unwrap_used)]

use mdbus_schemas::{InstrumentId, Kind, OrderStatus, OrderType, VenueId, flags};
use mdbus_venues::binance::account::{AccountDecodeError, AccountDecoder, AccountEvent, InstrumentScale};
use proptest::prelude::*;

fn decoder() -> AccountDecoder {
    AccountDecoder::new(VenueId::BINANCE_SPOT, 3)
        .instrument("ETHBTC", InstrumentScale { id: InstrumentId(11), price_exp: -8, qty_exp: -8 })
}

const NEW: &str = r#"{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}"#;

#[test]
fn execution_report_new_is_one_order_record() {
    let mut out = Vec::new();
    assert_eq!(decoder().decode(NEW.as_bytes(), 42, &mut out).unwrap(), 1);
    let AccountEvent::Order(o) = out[0] else { panic!("{out:?}") };
    assert_eq!(o.header.kind, Kind::ORDER);
    assert_eq!(
        (o.header.instrument, o.header.venue, o.header.recv_ts.0),
        (InstrumentId(11), VenueId::BINANCE_SPOT, 42)
    );
    assert_eq!(o.header.venue_ts.0, 1_499_405_658_657_000_000);
    assert_eq!((o.price, o.qty, o.filled_qty, o.account), (10_264_410, 100_000_000, 0, 3));
    assert_eq!((o.status, o.side, o.order_type), (OrderStatus::NEW, flags::SIDE_BUY, OrderType::LIMIT));
    assert_eq!((o.client_id.as_str(), o.venue_order_id.as_str()), ("mUvoqJxFIILMdfAW5iGSOW", "4293153"));
}

#[test]
fn a_trade_is_an_order_update_and_a_fill() {
    let trade = NEW
        .replace(r#""x":"NEW","X":"NEW""#, r#""x":"TRADE","X":"FILLED""#)
        .replace(
            r#""l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null"#,
            r#""l":"1.00000000","z":"1.00000000","L":"0.10264400","n":"0.00075","N":"BNB""#,
        )
        .replace(r#""t":-1"#, r#""t":9001"#)
        .replace(r#""m":false"#, r#""m":true"#);
    let mut out = Vec::new();
    assert_eq!(decoder().decode(trade.as_bytes(), 1, &mut out).unwrap(), 2);
    let AccountEvent::Order(o) = out[0] else { panic!() };
    assert_eq!((o.status, o.filled_qty), (OrderStatus::FILLED, 100_000_000));
    let AccountEvent::Fill(f) = out[1] else { panic!() };
    assert_eq!((f.price, f.qty, f.header.venue_seq), (10_264_400, 100_000_000, 9001));
    assert_eq!((f.fee, f.fee_exp, f.fee_asset.as_str(), f.liquidity), (75, -5, "BNB", flags::MAKER));
}

#[test]
fn balances_and_futures_events() {
    let mut out = Vec::new();
    let bal = r#"{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}"#;
    decoder().decode(bal.as_bytes(), 1, &mut out).unwrap();
    let AccountEvent::Balance(b) = out[0] else { panic!() };
    assert_eq!((b.asset.as_str(), b.free, b.locked, b.exponent), ("ETH", 1_000_000_000_000, 0, -8));

    out.clear();
    let otu = r#"{"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"TEST","S":"SELL","o":"LIMIT","f":"GTX","q":"0.001","p":"9300","ap":"0","sp":"0","x":"NEW","X":"NEW","i":8886774,"l":"0","z":"0","L":"0","N":"USDT","n":"0","T":1568879465650,"t":0,"b":"0","a":"9.91","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"0"}}"#;
    AccountDecoder::new(VenueId::BINANCE_USDM, 0).decode(otu.as_bytes(), 1, &mut out).unwrap();
    let AccountEvent::Order(o) = out[0] else { panic!() };
    assert_eq!(
        (o.side, o.order_type, o.price, o.qty),
        (flags::SIDE_SELL, OrderType::LIMIT_MAKER, 930_000_000_000, 100_000)
    );

    out.clear();
    let au = r#"{"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"-0.003","ep":"6563.66500","bep":"0","cr":"200","up":"0.28","mt":"isolated","iw":"0.00000000","ps":"BOTH"}]}}"#;
    AccountDecoder::new(VenueId::BINANCE_USDM, 0).decode(au.as_bytes(), 1, &mut out).unwrap();
    let AccountEvent::Balance(b) = out[0] else { panic!() };
    assert_eq!((b.free, b.locked), (10_012_345_678, 12_252_400_000_000));
    let AccountEvent::Position(p) = out[1] else { panic!() };
    assert_eq!((p.qty, p.entry_price, p.unrealized_pnl), (-300_000, 656_366_500_000, 28_000_000));

    out.clear();
    assert_eq!(decoder().decode(br#"{"e":"listenKeyExpired","E":1576653824250}"#, 1, &mut out).unwrap(), 1);
    assert_eq!(out[0], AccountEvent::ListenKeyExpired);
    assert_eq!(decoder().decode(br#"{"e":"balanceUpdate","E":1,"a":"BTC","d":"1"}"#, 1, &mut out).unwrap(), 0);
}

#[test]
fn bad_frames_are_typed_errors_and_append_nothing() {
    let d = decoder();
    let mut out = Vec::new();
    assert!(matches!(d.decode(b"not json", 1, &mut out), Err(AccountDecodeError::Json(_))));
    assert!(matches!(d.decode(br#"{"x":1}"#, 1, &mut out), Err(AccountDecodeError::Field { field: "e", .. })));
    let missing = NEW.replace(r#""q":"1.00000000","#, "");
    assert!(matches!(d.decode(missing.as_bytes(), 1, &mut out), Err(AccountDecodeError::Field { field: "q", .. })));
    let too_fine = NEW.replace("0.10264410", "0.102644101");
    let err = d.decode(too_fine.as_bytes(), 1, &mut out).unwrap_err();
    assert!(matches!(err, AccountDecodeError::Precision { field: "p", exp: -8, .. }), "{err}");
    assert!(out.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Mangled samples and random bytes decode or fail with a typed error; never a panic.
    #[test]
    fn decoding_never_panics(cut in 0usize..600, junk in "[ -~]{0,16}", raw in prop::collection::vec(any::<u8>(), 0..300)) {
        let d = decoder();
        let mut out = Vec::new();
        let _ = d.decode(&raw, 1, &mut out);
        for sample in [NEW, r#"{"e":"ACCOUNT_UPDATE","E":1,"T":1,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"1","cw":"1"}],"P":[{"s":"X","pa":"1","ep":"1","up":"1"}]}}"#] {
            let at = cut.min(sample.len());
            let mangled = format!("{}{}{}", &sample[..at], junk, &sample[at..]);
            let _ = d.decode(mangled.as_bytes(), 1, &mut out);
        }
    }
}
