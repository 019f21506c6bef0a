//! Bybit v5 public topics: documented samples, spot and linear key orders, `u == 1` restarts,
//! op replies, fuzzing.

#![allow(clippy::unwrap_used)]

use mdbus_feeder::{DecodeError, Levels, Message};
use mdbus_venues::bybit::market::decode;
use proptest::prelude::*;

fn render(frame: &str) -> Result<Vec<String>, DecodeError> {
    let mut levels = Levels::default();
    let mut out = Vec::new();
    decode(frame.as_bytes(), &mut levels, &mut |m, l| {
        out.push(match m {
            Message::Trade(t) => format!(
                "trade {} {} {} {} {:?} {:?} {:?}",
                t.symbol,
                t.uuid.map_or_else(|| t.trade_id.to_string(), |u| format!("uuid:{}", mdbus_schemas::TradeId::Uuid(u))),
                t.price,
                t.qty,
                t.side,
                t.trade_ts_ms,
                t.event_ts_ms
            ),
            Message::Quote(q) => format!(
                "quote {} {} {}x{} {}x{}",
                q.symbol, q.update_id, q.bid_price, q.bid_qty, q.ask_price, q.ask_qty
            ),
            Message::Depth(d) => format!(
                "depth {} snap={} u={} ts={:?} bids={:?} asks={:?}",
                d.symbol.unwrap_or("?"),
                d.snapshot,
                d.last_seq,
                d.event_ts_ms,
                l.bids.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>(),
                l.asks.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>()
            ),
            Message::Bar(b) => format!(
                "bar {} {} {}..{} o{} c{} v{} closed={}",
                b.symbol, b.interval, b.open_ts_ms, b.close_ts_ms, b.open, b.close, b.volume, b.closed
            ),
            Message::Ack { id } => format!("ack {id}"),
            Message::Error { msg, id, .. } => format!("error {msg} {id}"),
            Message::Ignored => "ignored".into(),
            other => format!("{other:?}"),
        })
    })?;
    Ok(out)
}

#[test]
fn orderbook_snapshot_delta_and_restart() {
    let snap = r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#;
    assert_eq!(
        render(snap).unwrap(),
        [
            r#"depth BTCUSDT snap=true u=18521288 ts=Some(1672304484978) bids=["16493.50@0.006", "16493.00@0.100"] asks=["16611.00@0.029"]"#
        ]
    );
    // Spot puts `ts` and `type` after `data`.
    let delta = r#"{"topic":"orderbook.50.BTCUSDT","data":{"s":"BTCUSDT","b":[],"a":[["16611.00","0"]],"u":18521289,"seq":7961638725},"ts":1672304484979,"type":"delta"}"#;
    assert_eq!(
        render(delta).unwrap(),
        [r#"depth BTCUSDT snap=false u=18521289 ts=Some(1672304484979) bids=[] asks=["16611.00@0"]"#]
    );
    let restart = r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1","1"]],"a":[["2","1"]],"u":1,"seq":1}}"#;
    assert!(render(restart).unwrap()[0].starts_with("depth BTCUSDT snap=true u=1"));
    // orderbook.1 is also the quote.
    let l1 = r#"{"topic":"orderbook.1.ETHUSDT","type":"snapshot","ts":5,"data":{"s":"ETHUSDT","b":[["2000.5","3"]],"a":[["2001","4"]],"u":77,"seq":9}}"#;
    let r = render(l1).unwrap();
    assert_eq!(r[0], "quote ETHUSDT 77 2000.5x3 2001x4");
    assert!(r[1].starts_with("depth ETHUSDT snap=true u=77"));
}

#[test]
fn trades_tickers_and_klines() {
    let t = r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false},{"T":1672304486866,"s":"BTCUSDT","S":"Sell","v":2,"p":16578,"i":"2290000000061666327","BT":false}]}"#;
    let r = render(t).unwrap();
    assert_eq!(r.len(), 2);
    // The linear UUID id is kept whole, never hashed into a number.
    assert_eq!(
        r[0],
        "trade BTCUSDT uuid:20f43950-d8dd-5b31-9112-a178eb6023af 16578.50 0.001 Buy Some(1672304486865) Some(1672304486868)"
    );
    // An id that is neither a number nor a UUID is an error naming the field.
    let odd = t.replace("20f43950-d8dd-5b31-9112-a178eb6023af", "not-an-id");
    assert!(matches!(render(&odd), Err(DecodeError::BadField { message: "trade", field: "i" })));
    assert_eq!(r[1], "trade BTCUSDT 2290000000061666327 16578 2 Sell Some(1672304486866) Some(1672304486868)");
    let tick = r#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","tickDirection":"PlusTick","price24hPcnt":"0.017103","lastPrice":"17216.00","bid1Price":"17215.50","bid1Size":"84.489","ask1Price":"17216.00","ask1Size":"83.020"},"cs":24987956059,"ts":1673272861686}"#;
    assert_eq!(render(tick).unwrap(), ["quote BTCUSDT 0 17215.50x84.489 17216.00x83.020"]);
    let partial = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","lastPrice":"17217.00"},"cs":1,"ts":2}"#;
    assert_eq!(render(partial).unwrap(), ["ignored"]);
    let k = r#"{"topic":"kline.5.BTCUSDT","data":[{"start":1672324800000,"end":1672325099999,"interval":"5","open":"16649.5","close":"16677","high":"16677","low":"16608","volume":"2.081","turnover":"34666.4005","confirm":false,"timestamp":1672324988882}],"ts":1672324988882,"type":"snapshot"}"#;
    assert_eq!(render(k).unwrap(), ["bar BTCUSDT 5 1672324800000..1672325099999 o16649.5 c16677 v2.081 closed=false"]);
}

#[test]
fn op_replies() {
    assert_eq!(
        render(r#"{"success":true,"ret_msg":"subscribe","conn_id":"2324d924","req_id":"10001","op":"subscribe"}"#)
            .unwrap(),
        ["ack 10001"]
    );
    assert_eq!(
        render(r#"{"success":false,"ret_msg":"error:handler not found","conn_id":"x","req_id":"7","op":"subscribe"}"#)
            .unwrap(),
        ["error error:handler not found 7"]
    );
    assert_eq!(
        render(r#"{"success":true,"ret_msg":"pong","conn_id":"0970e817","req_id":"","op":"ping"}"#).unwrap(),
        ["ignored"]
    );
    assert_eq!(
        render(r#"{"req_id":"100001","op":"pong","args":["1675418560633"],"conn_id":"cfcb4ocsvfriu23r3er0-1b"}"#)
            .unwrap(),
        ["ignored"]
    );
    // The `COMMAND_RESP` form, with no `op`: an ack when no topic failed, a refusal naming
    // the first failed topic otherwise.
    assert_eq!(
        render(r#"{"success":true,"ret_msg":"","conn_id":"cejreassvfrsfvb9v1a0-2m","req_id":"12","data":{"successTopics":["orderbook.1.BTCUSDT"],"failTopics":[]},"type":"COMMAND_RESP"}"#)
            .unwrap(),
        ["ack 12"]
    );
    assert_eq!(
        render(r#"{"success":true,"conn_id":"x","data":{"failTopics":["orderbook.1.NOPE"],"successTopics":["publicTrade.BTCUSDT"]},"type":"COMMAND_RESP"}"#)
            .unwrap(),
        ["error orderbook.1.NOPE "]
    );
    assert_eq!(
        render(r#"{"success":false,"ret_msg":"args size >10","conn_id":"x","req_id":"3","data":{"failTopics":[],"successTopics":[]},"type":"COMMAND_RESP"}"#)
            .unwrap(),
        ["error args size >10 3"]
    );
    assert!(matches!(render("nope"), Err(DecodeError::Malformed { .. })));
    assert!(matches!(
        render(r#"{"topic":"orderbook.50.X","type":"delta","data":{"s":"X","b":[],"a":[]}}"#),
        Err(DecodeError::MissingField { field: "u", .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_never_panics(raw in prop::collection::vec(any::<u8>(), 0..400), cut in 0usize..400, junk in "[ -~]{0,12}") {
        let mut levels = Levels::default();
        let _ = decode(&raw, &mut levels, &mut |_, _| {});
        let sample = r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724}}"#;
        let at = cut.min(sample.len());
        let _ = decode(format!("{}{}{}", &sample[..at], junk, &sample[at..]).as_bytes(), &mut levels, &mut |_, _| {});
    }
}
