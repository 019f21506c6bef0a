//! OKX public channels: documented samples per channel, any key order, numbers as strings or
//! numbers, repeated keys, events, and a fuzz run checked against a serde_json reference.

#![allow(clippy::unwrap_used)]

use mdbus_feeder::{DecodeError, Levels, Message, Side};
use mdbus_venues::okx::market::decode;
use proptest::prelude::*;
use serde_json::Value;

/// Decodes and renders every message of a frame as text (levels included).
fn render(frame: &str) -> Result<Vec<String>, DecodeError> {
    let mut levels = Levels::default();
    let mut out = Vec::new();
    decode(frame.as_bytes(), &mut levels, &mut |m, l| {
        out.push(match m {
            Message::Trade(t) => format!(
                "trade {} {} {} {} {:?} {:?} agg={}",
                t.symbol, t.trade_id, t.price, t.qty, t.side, t.trade_ts_ms, t.aggregated
            ),
            Message::Quote(q) => format!(
                "quote {} {} {}x{} {}x{} {:?}",
                q.symbol, q.update_id, q.bid_price, q.bid_qty, q.ask_price, q.ask_qty, q.event_ts_ms
            ),
            Message::Depth(d) => format!(
                "depth {} snap={} seq={} prev={:?} ts={:?} bids={:?} asks={:?}",
                d.symbol.unwrap_or("?"),
                d.snapshot,
                d.last_seq,
                d.prev_seq,
                d.event_ts_ms,
                l.bids.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>(),
                l.asks.iter().map(|(p, q)| format!("{p}@{q}")).collect::<Vec<_>>()
            ),
            Message::Bar(b) => format!(
                "bar {} {} {}..{} o{} h{} l{} c{} v{} qv{} closed={}",
                b.symbol,
                b.interval,
                b.open_ts_ms,
                b.close_ts_ms,
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume,
                b.quote_volume,
                b.closed
            ),
            Message::Ack { id } => format!("ack {id}"),
            Message::Error { code, msg, id } => format!("error {code} {msg} {id}"),
            Message::Ignored => "ignored".into(),
            other => format!("{other:?}"),
        })
    })?;
    Ok(out)
}

#[test]
fn trades_sample_and_batches() {
    let f = r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","source":"0","seqId":1234}]}"#;
    assert_eq!(render(f).unwrap(), ["trade BTC-USDT 130639474 42219.9 0.12060306 Buy Some(1630048897897) agg=true"]);
    // Two trades in one frame, data before arg, numbers as JSON numbers.
    let f = r#"{"data":[{"tradeId":1,"px":100.5,"sz":2,"side":"sell","ts":1},{"tradeId":2,"px":"1e2","sz":"0.1","side":"buy","ts":"2"}],"arg":{"instId":"ETH-USDT","channel":"trades"}}"#;
    assert_eq!(
        render(f).unwrap(),
        ["trade ETH-USDT 1 100.5 2 Sell Some(1) agg=false", "trade ETH-USDT 2 100 0.1 Buy Some(2) agg=false"]
    );
}

#[test]
fn books_snapshot_update_and_keepalive() {
    let snap = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"],["8477","7","0","2"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}"#;
    assert_eq!(
        render(snap).unwrap(),
        [
            r#"depth BTC-USDT snap=true seq=123456 prev=None ts=Some(1597026383085) bids=["8476.97@256"] asks=["8476.98@415", "8477@7"]"#
        ]
    );
    let upd = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","0","0","0"]],"bids":[],"ts":"1597026383086","checksum":0,"prevSeqId":123456,"seqId":123457}]}"#;
    assert_eq!(
        render(upd).unwrap(),
        [r#"depth BTC-USDT snap=false seq=123457 prev=Some(123456) ts=Some(1597026383086) bids=[] asks=["8476.98@0"]"#]
    );
    let keepalive = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1597026383087","checksum":0,"prevSeqId":123457,"seqId":123457}]}"#;
    assert_eq!(
        render(keepalive).unwrap(),
        ["depth BTC-USDT snap=false seq=123457 prev=Some(123457) ts=Some(1597026383087) bids=[] asks=[]"]
    );
    // books5 pushes whole books without an action.
    let b5 = r#"{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["1","1","0","1"]],"bids":[["0.5","2","0","1"]],"instId":"BTC-USDT","ts":"5","seqId":9}]}"#;
    assert!(render(b5).unwrap()[0].starts_with("depth BTC-USDT snap=true seq=9"));
}

#[test]
fn bbo_tickers_and_candles() {
    let bbo = r#"{"arg":{"channel":"bbo-tbt","instId":"BCH-USDT-SWAP"},"data":[{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}"#;
    assert_eq!(render(bbo).unwrap(), ["quote BCH-USDT-SWAP 363996337 111.05x57745 111.06x55154 Some(1670324386802)"]);
    let t = r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"9999.99","lastSz":"0.1","askPx":"9999.99","askSz":"11","bidPx":"8888.88","bidSz":"5","open24h":"9000","high24h":"10000","low24h":"8888.88","volCcy24h":"2222","vol24h":"2222","sodUtc0":"2222","sodUtc8":"2222","ts":"1597026383085"}]}"#;
    assert_eq!(render(t).unwrap(), ["quote BTC-USDT 0 8888.88x5 9999.99x11 Some(1597026383085)"]);
    let c = r#"{"arg":{"channel":"candle1D","instId":"BTC-USDT"},"data":[["1597026383085","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","5.2","0"]]}"#;
    assert_eq!(
        render(c).unwrap(),
        ["bar BTC-USDT 1D 1597026383085..1597112783084 o8533.02 h8553.74 l8527.17 c8548.26 v45247 qv5.2 closed=false"]
    );
    let c = r#"{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["60000","1","2","0.5","1.5","10","15","15","1"]]}"#;
    assert!(render(c).unwrap()[0].ends_with("closed=true"));
}

#[test]
fn events_pong_and_errors() {
    assert_eq!(
        render(r#"{"event":"subscribe","arg":{"channel":"tickers","instId":"BTC-USDT"},"connId":"accb8e21"}"#).unwrap(),
        [r#"ack {"channel":"tickers","instId":"BTC-USDT"}"#]
    );
    assert_eq!(
        render(
            r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#
        )
        .unwrap(),
        ["error 60012  "]
    );
    assert_eq!(
        render(r#"{"event":"error","code":60018,"msg":"Wrong URL or channel","connId":"x"}"#).unwrap(),
        ["error 60018 Wrong URL or channel "]
    );
    assert_eq!(render("pong").unwrap(), ["ignored"]);
    assert_eq!(
        render(r#"{"arg":{"channel":"funding-rate","instId":"BTC-USD-SWAP"},"data":[{"fundingRate":"0.0001"}]}"#)
            .unwrap(),
        ["ignored"]
    );
    assert!(matches!(render("{not json"), Err(DecodeError::Malformed { .. })));
    assert!(matches!(render(r#"{"data":[]}"#), Err(DecodeError::MissingField { field: "arg", .. })));
    assert!(matches!(
        render(
            r#"{"arg":{"channel":"trades","instId":"X"},"data":[{"tradeId":"1","px":"abc","sz":"1","side":"buy"}]}"#
        ),
        Err(DecodeError::BadField { field: "px", .. })
    ));
    assert!(matches!(
        render(r#"{"arg":{"channel":"trades","instId":"X"},"data":[{"tradeId":"1","px":"1","sz":"1","side":"up"}]}"#),
        Err(DecodeError::BadField { field: "side", .. })
    ));
}

#[test]
fn repeated_keys_keep_the_last_value() {
    let f = r#"{"arg":{"channel":"trades","instId":"A-B"},"data":[{"px":"1","px":"2","sz":"1","side":"buy","tradeId":"7","ts":"1"}],"arg":{"channel":"trades","instId":"C-D"}}"#;
    assert_eq!(render(f).unwrap(), ["trade C-D 7 2 1 Buy Some(1) agg=false"]);
}

/// An independent decode of trades and books with serde_json, for the fuzz comparison.
fn reference(frame: &str) -> Option<Vec<String>> {
    let v: Value = serde_json::from_str(frame).ok()?;
    let arg = v.get("arg")?;
    let channel = arg.get("channel")?.as_str()?;
    let arg_inst = arg.get("instId").and_then(Value::as_str);
    let text = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let dec = |x: &Value| text(x)?.parse::<mdbus_schemas::Decimal>().ok().map(|d| d.to_string());
    let mut out = Vec::new();
    for item in v.get("data")?.as_array()? {
        match channel {
            "trades" => {
                let side = match item.get("side")?.as_str()? {
                    "buy" => Side::Buy,
                    "sell" => Side::Sell,
                    _ => return None,
                };
                let ts = item.get("ts").and_then(text).and_then(|t| t.parse::<u64>().ok());
                out.push(format!(
                    "trade {} {} {} {} {:?} {:?} agg={}",
                    item.get("instId").and_then(Value::as_str).or(arg_inst)?,
                    text(item.get("tradeId")?)?.parse::<u64>().ok()?,
                    dec(item.get("px")?)?,
                    dec(item.get("sz")?)?,
                    side,
                    ts,
                    item.get("count").and_then(text).and_then(|c| c.parse::<u64>().ok()).is_some_and(|c| c > 1)
                ));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn trade_frame() -> impl Strategy<Value = String> {
    let num = prop_oneof![
        (0u32..100_000, 0u32..1000).prop_map(|(a, b)| format!("\"{a}.{b}\"")),
        (0u32..100_000).prop_map(|a| format!("{a}")),
        (1u32..100, 0i32..5).prop_map(|(a, e)| format!("\"{a}e{e}\"")),
    ];
    let trade = (
        0u64..1_000_000_000,
        num.clone(),
        num,
        prop::bool::ANY,
        0u64..2_000_000_000_000,
        prop::option::of(0u32..5),
        prop::bool::ANY,
    )
        .prop_map(|(id, px, sz, buy, ts, count, id_as_number)| {
            let mut fields = vec![
                if id_as_number { format!(r#""tradeId":{id}"#) } else { format!(r#""tradeId":"{id}""#) },
                format!(r#""px":{px}"#),
                format!(r#""sz":{sz}"#),
                format!(r#""side":"{}""#, if buy { "buy" } else { "sell" }),
                format!(r#""ts":"{ts}""#),
                r#""unknown":{"nested":[1,2]}"#.to_owned(),
            ];
            if let Some(c) = count {
                fields.push(format!(r#""count":"{c}""#));
            }
            fields.rotate_left((id % 5) as usize);
            format!("{{{}}}", fields.join(","))
        });
    (prop::collection::vec(trade, 1..4), prop::bool::ANY).prop_map(|(items, arg_first)| {
        let arg = r#""arg":{"channel":"trades","instId":"BTC-USDT"}"#;
        let data = format!(r#""data":[{}]"#, items.join(","));
        if arg_first { format!("{{{arg},{data}}}") } else { format!("{{{data},{arg}}}") }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Generated trade frames decode exactly as the serde_json reference says.
    #[test]
    fn fast_path_matches_serde_json(frame in trade_frame()) {
        prop_assert_eq!(render(&frame).ok(), reference(&frame));
    }

    /// Anything decodes or fails with a typed error; never a panic.
    #[test]
    fn decoding_never_panics(raw in prop::collection::vec(any::<u8>(), 0..400), cut in 0usize..400, junk in "[ -~]{0,12}") {
        let mut levels = Levels::default();
        let _ = decode(&raw, &mut levels, &mut |_, _| {});
        let sample = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","prevSeqId":-1,"seqId":123456}]}"#;
        let at = cut.min(sample.len());
        let mangled = format!("{}{}{}", &sample[..at], junk, &sample[at..]);
        let _ = decode(mangled.as_bytes(), &mut levels, &mut |_, _| {});
    }
}
