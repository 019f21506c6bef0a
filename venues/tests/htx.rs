//! HTX: gzip frames decompressed into a reused buffer, documented samples, pings, snapshots,
//! corrupt input, fuzzing.

#![allow(clippy::unwrap_used)]

use std::io::Write;

use mdbus_feeder::{DecodeError, Levels, Message};
use mdbus_venues::htx::{
    gunzip::{Gunzip, GunzipError},
    market::{Control, decode},
};
use proptest::prelude::*;

fn gz(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn render(g: &mut Gunzip, frame: &[u8]) -> Result<(Control, Vec<String>), String> {
    let text = g.gunzip(frame).map_err(|e| e.to_string())?;
    let mut levels = Levels::default();
    let mut out = Vec::new();
    let c = decode(text, &mut levels, &mut |m, l| {
        out.push(match m {
            Message::Trade(t) => {
                format!("trade {} {} {} {} {:?} {:?}", t.symbol, t.trade_id, t.price, t.qty, t.side, t.trade_ts_ms)
            }
            Message::Quote(q) => format!(
                "quote {} {} {}x{} {}x{}",
                q.symbol, q.update_id, q.bid_price, q.bid_qty, q.ask_price, q.ask_qty
            ),
            Message::Depth(d) => format!(
                "depth {} snap={} seq={} prev={:?} bids={:?} asks={:?}",
                d.symbol.unwrap_or("?"),
                d.snapshot,
                d.last_seq,
                d.prev_seq,
                l.bids.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>(),
                l.asks.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>()
            ),
            Message::Bar(b) => format!(
                "bar {} {} {}..{} o{} c{} v{} n{}",
                b.symbol, b.interval, b.open_ts_ms, b.close_ts_ms, b.open, b.close, b.volume, b.trades
            ),
            Message::Ack { id } => format!("ack {id}"),
            Message::Error { msg, id, .. } => format!("error {msg} {id}"),
            Message::Ignored => "ignored".into(),
            other => format!("{other:?}"),
        })
    })
    .map_err(|e: DecodeError| e.to_string())?;
    Ok((c, out))
}

#[test]
fn documented_samples_through_gzip() {
    let mut g = Gunzip::default();
    let trade = r#"{"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,"data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,"price":52648.62,"direction":"buy"},{"id":1.37005445109359286410323767e+26,"ts":1630994963174,"tradeId":102523573487,"amount":1e-3,"price":52648.6,"direction":"sell"}]}}"#;
    assert_eq!(
        render(&mut g, &gz(trade)).unwrap(),
        (
            Control::Data(2),
            vec![
                "trade btcusdt 102523573486 52648.62 0.006754 Buy Some(1630994963173)".to_owned(),
                "trade btcusdt 102523573487 52648.6 0.001 Sell Some(1630994963174)".to_owned()
            ]
        )
    );
    let bbo = r#"{"ch":"market.btcusdt.bbo","ts":1630994555540,"tick":{"seqId":136998202000,"ask":52650.0,"askSize":0.1,"bid":52649.99,"bidSize":0.03,"quoteTime":1630994555539,"symbol":"btcusdt"}}"#;
    assert_eq!(render(&mut g, &gz(bbo)).unwrap().1, ["quote btcusdt 136998202000 52649.99x0.03 52650.0x0.1"]);
    // The documented ticker: its best bid and offer, a quote (no sequence of its own).
    let ticker = r#"{"ch":"market.btcusdt.ticker","ts":1630982370526,"tick":{"open":51732,"high":52785.64,"low":51000,"close":52735.63,"amount":13259.24137056181,"vol":687640987.4125315,"count":448737,"bid":52732.88,"bidSize":0.036,"ask":52732.89,"askSize":0.583653,"lastPrice":52735.63,"lastSize":0.03}}"#;
    assert_eq!(render(&mut g, &gz(ticker)).unwrap().1, ["quote btcusdt 0 52732.88x0.036 52732.89x0.583653"]);
    let mbp = r#"{"ch":"market.btcusdt.mbp.150","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[[618.37,0.0]],"asks":[[632.18,1.1]]}}"#;
    assert_eq!(
        render(&mut g, &gz(mbp)).unwrap().1,
        [
            r#"depth btcusdt snap=false seq=100020146795 prev=Some(100020146794) bids=["618.37@0.0"] asks=["632.18@1.1"]"#
        ]
    );
    let rep = r#"{"id":"id2","rep":"market.btcusdt.mbp.150","status":"ok","data":{"seqNum":100020142010,"bids":[[618.37,71.594]],"asks":[[632.2,32.79]]}}"#;
    assert_eq!(
        render(&mut g, &gz(rep)).unwrap().1,
        [r#"depth btcusdt snap=true seq=100020142010 prev=None bids=["618.37@71.594"] asks=["632.2@32.79"]"#]
    );
    // `mbp.refresh.$n` pushes the whole top `$n` each time: a partial book, not a diff.
    let refresh = r#"{"ch":"market.btcusdt.mbp.refresh.20","ts":1573199608679,"tick":{"seqNum":100020142010,"bids":[[618.37,71.594],[423.33,77.726]],"asks":[[6767,0.36]]}}"#;
    assert_eq!(
        render(&mut g, &gz(refresh)).unwrap().1,
        [
            r#"depth btcusdt snap=true seq=100020142010 prev=None bids=["618.37@71.594", "423.33@77.726"] asks=["6767@0.36"]"#
        ]
    );
    // `depth.step*` is a snapshot at a price step.
    let step = r#"{"ch":"market.btcusdt.depth.step0","ts":1630983549503,"tick":{"bids":[[52690.69,0.36281],[52690.68,0.2]],"asks":[[52690.7,0.372591]],"version":137005886209,"ts":1630983549500}}"#;
    assert_eq!(
        render(&mut g, &gz(step)).unwrap().1,
        [
            r#"depth btcusdt snap=true seq=137005886209 prev=None bids=["52690.69@0.36281", "52690.68@0.2"] asks=["52690.7@0.372591"]"#
        ]
    );
    let kline = r#"{"ch":"market.btcusdt.kline.1min","ts":1489474082831,"tick":{"id":1489464480,"amount":0.0,"count":0,"open":7962.62,"close":7962.62,"low":7962.62,"high":7962.62,"vol":0.0}}"#;
    assert_eq!(
        render(&mut g, &gz(kline)).unwrap().1,
        ["bar btcusdt 1min 1489464480000..1489464539999 o7962.62 c7962.62 v0.0 n0"]
    );
}

#[test]
fn pings_acks_and_errors() {
    let mut g = Gunzip::default();
    assert_eq!(render(&mut g, &gz(r#"{"ping":1492420473027}"#)).unwrap().0, Control::Ping(1492420473027));
    assert_eq!(
        render(&mut g, &gz(r#"{"id":"id1","status":"ok","subbed":"market.btcusdt.kline.1min","ts":1489474081631}"#))
            .unwrap()
            .1,
        ["ack id1"]
    );
    assert_eq!(
        render(&mut g, &gz(r#"{"id":"id1","status":"error","err-code":"bad-request","err-msg":"invalid topic market.invalidsymbol.kline.1min","ts":1494301904959}"#)).unwrap().1,
        ["error invalid topic market.invalidsymbol.kline.1min id1"]
    );
}

#[test]
fn corrupt_frames_are_typed_errors() {
    let mut g = Gunzip::default();
    assert!(matches!(g.gunzip(b"plain text"), Err(GunzipError::Header(_))));
    let mut f = gz(r#"{"ping":1}"#);
    let n = f.len();
    f[n - 12] ^= 0xff;
    assert!(g.gunzip(&f).is_err());
    let f = gz(r#"{"ping":1}"#);
    assert!(g.gunzip(&f[..f.len() - 3]).is_err());
    // Still works afterwards.
    assert_eq!(g.gunzip(&gz(r#"{"ping":2}"#)).unwrap(), br#"{"ping":2}"#);
    // A frame announcing more than the limit is refused before inflating.
    let mut small = Gunzip::new(8);
    assert!(matches!(small.gunzip(&gz("0123456789abcdef")), Err(GunzipError::Size { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..300), cut in 0usize..300, junk in "[ -~]{0,12}") {
        let mut g = Gunzip::default();
        let _ = g.gunzip(&raw);
        let mut levels = Levels::default();
        let _ = decode(&raw, &mut levels, &mut |_, _| {});
        let s = r#"{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{"seqNum":2,"prevSeqNum":1,"bids":[[618.37,0.0]],"asks":[[632.18,1.1]]}}"#;
        let at = cut.min(s.len());
        let mangled = format!("{}{}{}", &s[..at], junk, &s[at..]);
        if let Ok(text) = g.gunzip(&gz(&mangled)) {
            let _ = decode(text, &mut levels, &mut |_, _| {});
        }
    }
}
