//! OKX private pushes to account records: documented samples, control frames, fuzzing.

#![allow(clippy::unwrap_used)]

use mdbus_schemas::{InstrumentId, OrderStatus, OrderType, flags};
use mdbus_venues::okx::account::{AccountEvent, Control, InstrumentScale, OkxAccountDecoder};
use proptest::prelude::*;

const FILLED: &str = r#"{"arg":{"channel":"orders","instType":"SPOT","uid":"77982378738415879"},"data":[{"instId":"BTC-USDT","ordId":"312269865356374016","clOrdId":"b1","px":"65000.5","sz":"0.01","side":"buy","ordType":"post_only","state":"filled","accFillSz":"0.01","avgPx":"65000.5","fillPx":"65000.5","fillSz":"0.01","tradeId":"242589207","fee":"-0.00001","feeCcy":"BTC","execType":"M","fillTime":"1597026383085","uTime":"1597026383085"}]}"#;

fn decoder() -> OkxAccountDecoder {
    OkxAccountDecoder::new(4)
        .instrument("BTC-USDT", InstrumentScale { id: InstrumentId(9), price_exp: -1, qty_exp: -8 })
}

#[test]
fn a_filled_order_push_is_an_order_and_a_fill() {
    let mut out = Vec::new();
    assert_eq!(decoder().decode(FILLED.as_bytes(), 5, &mut out).unwrap(), Control::Data);
    let AccountEvent::Order(o) = out[0] else { panic!("{out:?}") };
    assert_eq!((o.price, o.qty, o.filled_qty, o.avg_price), (650_005, 1_000_000, 1_000_000, 650_005));
    assert_eq!(
        (o.status, o.order_type, o.side, o.account, o.header.instrument),
        (OrderStatus::FILLED, OrderType::LIMIT_MAKER, flags::SIDE_BUY, 4, InstrumentId(9))
    );
    assert_eq!((o.client_id.as_str(), o.venue_order_id.as_str()), ("b1", "312269865356374016"));
    let AccountEvent::Fill(f) = out[1] else { panic!() };
    assert_eq!((f.price, f.qty, f.fee, f.fee_exp, f.fee_asset.as_str()), (650_005, 1_000_000, 1, -5, "BTC"));
    assert_eq!(
        (f.liquidity, f.header.venue_seq, f.header.venue_ts.0),
        (flags::MAKER, 242_589_207, 1_597_026_383_085_000_000)
    );
}

#[test]
fn control_frames_balances_and_positions() {
    let d = decoder();
    let mut out = Vec::new();
    assert_eq!(
        d.decode(br#"{"event":"login","code":"0","msg":"","connId":"a4d3ae55"}"#, 0, &mut out).unwrap(),
        Control::LoggedIn
    );
    assert_eq!(
        d.decode(br#"{"event":"error","code":"60007","msg":"Invalid sign","connId":"a4d3ae55"}"#, 0, &mut out).unwrap(),
        Control::Error { code: "60007".into(), msg: "Invalid sign".into() }
    );
    assert_eq!(
        d.decode(br#"{"event":"subscribe","arg":{"channel":"account"},"connId":"x"}"#, 0, &mut out).unwrap(),
        Control::Subscribed
    );
    assert_eq!(d.decode(b"pong", 0, &mut out).unwrap(), Control::Other);
    let acct = r#"{"arg":{"channel":"account","uid":"1"},"data":[{"uTime":"1597026383085","details":[{"ccy":"USDT","availBal":"1000.5","frozenBal":"20","uTime":"1597026383085"}]}]}"#;
    d.decode(acct.as_bytes(), 0, &mut out).unwrap();
    let AccountEvent::Balance(b) = out[0] else { panic!() };
    assert_eq!((b.asset.as_str(), b.free, b.locked), ("USDT", 100_050_000_000, 2_000_000_000));
    out.clear();
    let pos = r#"{"arg":{"channel":"positions","instType":"ANY"},"data":[{"instId":"BTC-USDT","pos":"-0.5","avgPx":"64000","upl":"12.5","lever":"5","uTime":"1"}]}"#;
    d.decode(pos.as_bytes(), 0, &mut out).unwrap();
    let AccountEvent::Position(p) = out[0] else { panic!() };
    assert_eq!((p.qty, p.entry_price, p.unrealized_pnl, p.leverage), (-50_000_000, 640_000, 1_250_000_000, 5));
    assert!(d.decode(b"{", 0, &mut out).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_never_panics(cut in 0usize..700, junk in "[ -~]{0,16}", raw in prop::collection::vec(any::<u8>(), 0..300)) {
        let d = decoder();
        let mut out = Vec::new();
        let _ = d.decode(&raw, 1, &mut out);
        let at = cut.min(FILLED.len());
        let mangled = format!("{}{}{}", &FILLED[..at], junk, &FILLED[at..]);
        let _ = d.decode(mangled.as_bytes(), 1, &mut out);
    }
}
