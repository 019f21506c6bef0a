//! The simulator behaves as the venues do where clients notice: a client's Close frame is
//! echoed with its code on every dialect, unserved channels are refused rather than left silent,
//! and REST paths answer in the venue's shape (one Gate.io pair by path, every OKX ticker,
//! Binance's 24-hour tickers and aggregate trades), or not at all when they are another
//! venue's.

#![allow(clippy::unwrap_used)]

use std::{net::TcpStream, time::Duration};

use mdbus_sim::{Sim, SimConfig};
use tungstenite::{
    Message,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

#[test]
fn a_close_frame_is_echoed_with_its_code() {
    for venue in [
        mdbus_venues::binance::sim::SIM,
        mdbus_venues::okx::sim::SIM,
        mdbus_venues::bybit::sim::SIM,
        mdbus_venues::htx::sim::SIM,
        mdbus_venues::gate::sim::SIM,
        mdbus_venues::gemini::sim::SIM,
    ] {
        let sim = Sim::start(SimConfig {
            venue,
            symbols: venue.symbols(),
            ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
        })
        .unwrap();
        let addr = sim.addr();
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{addr}{}", venue.ws_path()), sock).unwrap();
        ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Away, reason: "bye".into() }))).unwrap();
        let echoed = loop {
            match ws.read() {
                Ok(Message::Close(frame)) => break frame,
                Ok(_) => {}
                Err(e) => panic!("{venue:?}: no close frame back: {e}"),
            }
        };
        assert_eq!(echoed.map(|f| f.code), Some(CloseCode::Away), "{venue:?}");
    }
}

/// A channel the simulator does not produce is refused the way the venue refuses an unknown
/// one (its error frame, which the feeder's decoder reads as a refusal), never acknowledged and
/// left silent; a channel it produces is acknowledged.
#[test]
fn an_unserved_channel_is_refused_not_left_silent() {
    use mdbus_feeder::{Levels, Message as Decoded, venue::SessionDecoder};
    // Per venue: a topic the simulator does not produce (by the feeder's channel name where the
    // feeder has one the simulator lacks), and channels it produces.
    let cases = [
        (mdbus_venues::binance::sim::SIM, mdbus_venues::BINANCE_SPOT, "depth5", &["trade", "kline_1m", "ticker"][..]),
        (mdbus_venues::okx::sim::SIM, mdbus_venues::OKX, "depth5", &["trade", "ticker", "kline_1m"][..]),
        (
            mdbus_venues::bybit::sim::SIM,
            mdbus_venues::BYBIT_SPOT,
            "orderbook.200.",
            &["trade", "ticker", "kline_1m"][..],
        ),
        (
            mdbus_venues::htx::sim::SIM,
            mdbus_venues::HTX,
            "market.btcusdt.depth.step1",
            &["trade", "ticker", "kline_1m"][..],
        ),
        (mdbus_venues::gate::sim::SIM, mdbus_venues::GATEIO, "depth5", &["trade", "kline_1m"][..]),
    ];
    for (sim_venue, venue, unserved, served) in cases {
        let symbols = sim_venue.symbols();
        let sim = Sim::start(SimConfig {
            venue: sim_venue,
            symbols: symbols.clone(),
            ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
        })
        .unwrap();
        let addr = sim.addr();
        for (channel, refused) in std::iter::once((unserved, true)).chain(served.iter().map(|c| (*c, false))) {
            let sock = TcpStream::connect(addr).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let (mut ws, _) = tungstenite::client(format!("ws://{addr}{}", sim_venue.ws_path()), sock).unwrap();
            // A raw topic (a prefix ending in '.' completed with the symbol, or one with a '.'
            // inside) where the feeder has no channel the simulator lacks.
            let topic = match channel.strip_suffix('.') {
                Some(_) => format!("{channel}{}", symbols[0]),
                None if channel.contains('.') => channel.to_owned(),
                None => venue.topic(channel, &symbols[0]).unwrap(),
            };
            ws.send(Message::text(venue.subscribe(7, &[topic]))).unwrap();
            let mut decoder = SessionDecoder::new(venue);
            let mut levels = Levels::default();
            let answer = loop {
                let (frame, binary) = match ws.read().unwrap() {
                    Message::Text(t) => (t.as_bytes().to_vec(), false),
                    Message::Binary(b) => (b.to_vec(), true),
                    _ => continue,
                };
                let mut got = None;
                let _ = decoder.decode(&frame, binary, &mut levels, &mut |m, _| match m {
                    Decoded::Error { .. } => got = Some(true),
                    Decoded::Ack { .. } => got = Some(false),
                    _ => {}
                });
                if let Some(g) = got {
                    break g;
                }
            };
            assert_eq!(answer, refused, "{sim_venue:?} {channel}");
        }
    }
}

fn get_raw(sim: &Sim, target: &str) -> (u16, Vec<u8>) {
    let t = mdbus_sdk::tls::client_config(&[] as &[&str], &[]).unwrap();
    let mut c = mdbus_sdk::http::HttpClient::new(&format!("http://{}", sim.addr()), t).unwrap();
    let r = c.request("GET", target, &[], b"").unwrap();
    (r.status, r.body.to_vec())
}

fn get(sim: &Sim, target: &str) -> (u16, serde_json::Value) {
    let (status, body) = get_raw(sim, target);
    (status, serde_json::from_slice(&body).unwrap())
}

/// A path no venue of the simulator serves is answered as the simulated venue answers a path
/// it does not have: Binance (as observed on a retired endpoint), OKX, Bybit and HTX with a
/// bare 404; Gemini with its documented `EndpointNotFound`; Gate.io with its `NOT_FOUND`
/// label. Never a 200, and never another venue's body (Gemini's `/v1/...` once fell into HTX).
#[test]
fn an_unserved_rest_path_answers_as_the_venue_does() {
    use mdbus_venues as v;
    let cases = [
        (v::binance::sim::SIM, "/api/v3/nope", None),
        (v::okx::sim::SIM, "/api/v5/nope/at/all", None),
        (v::bybit::sim::SIM, "/v5/nope", None),
        (v::htx::sim::SIM, "/v1/nope", None),
        (v::gate::sim::SIM, "/api/v4/nope", Some(("label", "NOT_FOUND"))),
        (v::gemini::sim::SIM, "/v1/nope", Some(("reason", "EndpointNotFound"))),
        (v::gemini::sim::SIM, "/v1/order/nope", Some(("reason", "EndpointNotFound"))),
    ];
    for (venue, path, field) in cases {
        let sim =
            Sim::start(SimConfig { venue, symbols: venue.symbols(), ..v::sim_config(v::binance::sim::SIM) }).unwrap();
        let (status, body) = get_raw(&sim, path);
        assert_eq!(status, 404, "{venue:?} {path}");
        match field {
            None => assert!(body.is_empty(), "{venue:?} {path}: {}", String::from_utf8_lossy(&body)),
            Some((k, want)) => {
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body[k].as_str(), Some(want), "{venue:?} {path}: {body}");
            }
        }
    }
}

#[test]
fn rest_paths_answer_in_the_venues_shape() {
    let gate = Sim::start(SimConfig {
        venue: mdbus_venues::gate::sim::SIM,
        symbols: mdbus_venues::gate::sim::SIM.symbols(),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let (status, one) = get(&gate, "/api/v4/spot/currency_pairs/BTC_USDT");
    assert_eq!((status, one["id"].as_str()), (200, Some("BTC_USDT")), "one pair by path: {one}");
    let (status, all) = get(&gate, "/api/v4/spot/currency_pairs");
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(2)));
    let (status, bad) = get(&gate, "/api/v4/spot/currency_pairs/NOPE_USDT");
    assert_eq!((status, bad["label"].as_str()), (400, Some("INVALID_CURRENCY_PAIR")));
    let okx = Sim::start(SimConfig {
        venue: mdbus_venues::okx::sim::SIM,
        symbols: mdbus_venues::okx::sim::SIM.symbols(),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let (status, tickers) = get(&okx, "/api/v5/market/tickers?instType=SPOT");
    assert_eq!((status, tickers["code"].as_str()), (200, Some("0")));
    let ids: Vec<&str> = tickers["data"].as_array().unwrap().iter().filter_map(|t| t["instId"].as_str()).collect();
    assert_eq!(ids, ["BTC-USDT", "ETH-USDT"], "every spot ticker: {tickers}");
    let (_, one) = get(&okx, "/api/v5/market/ticker?instId=ETH-USDT");
    assert_eq!(one["data"][0]["instId"], "ETH-USDT");
}

#[test]
fn binance_rest_paths_answer_in_binances_shape_and_foreign_paths_are_404() {
    let sim =
        Sim::start(SimConfig { max_ticks: Some(300), ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) })
            .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the market moved, then went quiet");
    let (status, t) = get(&sim, "/api/v3/ticker/24hr?symbol=BTCUSDT");
    assert_eq!(status, 200);
    let num = |k: &str| t[k].as_str().unwrap().parse::<f64>().unwrap();
    assert!(num("lowPrice") <= num("lastPrice") && num("lastPrice") <= num("highPrice"), "{t}");
    assert!(num("bidPrice") < num("askPrice"), "{t}");
    assert_eq!(t["count"].as_u64(), Some(t["lastId"].as_u64().unwrap() - t["firstId"].as_u64().unwrap() + 1));
    let (_, all) = get(&sim, "/api/v3/ticker/24hr");
    assert_eq!(all.as_array().map(Vec::len), Some(2), "every symbol's: {all}");
    let (_, agg) = get(&sim, "/api/v3/aggTrades?symbol=BTCUSDT&limit=3");
    let agg = agg.as_array().unwrap();
    assert!(!agg.is_empty() && agg.len() <= 3);
    assert!(agg.iter().all(|a| a["a"] == a["f"] && a["f"] == a["l"] && a["M"] == true), "{agg:?}");
    let (_, info) = get(&sim, "/fapi/v1/exchangeInfo");
    assert_eq!(info["symbols"][0]["contractType"], "PERPETUAL");
    assert_eq!(info["symbols"][0]["marginAsset"], "USDT");
    let (_, info) = get(&sim, "/api/v3/exchangeInfo");
    assert!(info["symbols"][0]["orderTypes"].as_array().unwrap().contains(&serde_json::json!("LIMIT")));
    // Another venue's path without that venue's credentials is nobody's: a 404, not an answer in
    // some other venue's shape.
    let (status, _) = get_raw(&sim, "/v1/mytrades");
    assert_eq!(status, 404);
}

/// OKX's private login takes its timestamp as text or as a number (python-okx sends a number),
/// and refuses a wrong signature either way.
#[test]
fn okx_login_takes_a_numeric_timestamp() {
    use mdbus_venues::okx::sign::OkxSigner;
    let sim = Sim::start(mdbus_venues::sim_config(mdbus_venues::okx::sim::SIM)).unwrap();
    let addr = sim.addr();
    let now = mdbus_bus::now_ns() / 1_000_000_000;
    let account = mdbus_sim::exchange::default_account();
    for (ts, secret, code) in [
        (serde_json::json!(now), account.secret.as_str(), "0"),
        (serde_json::json!(now.to_string()), account.secret.as_str(), "0"),
        (serde_json::json!(now), "wrong", "60007"),
    ] {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{addr}/ws/v5/private"), sock).unwrap();
        let sign = OkxSigner::new(secret).sign_ws_login(&now.to_string());
        let login = serde_json::json!({"op": "login", "args": [{"apiKey": account.api_key,
            "passphrase": account.passphrase, "timestamp": ts, "sign": sign.as_str()}]});
        ws.send(Message::text(login.to_string())).unwrap();
        let reply: serde_json::Value = loop {
            if let Message::Text(t) = ws.read().unwrap() {
                break serde_json::from_str(t.as_str()).unwrap();
            }
        };
        assert_eq!(reply["code"], code, "{ts}: {reply}");
    }
}

/// Bybit never deletes a level its book does not hold (pybit's own book handler fails on one):
/// every `size 0` of a delta names a level of the book built from the snapshot and the deltas
/// before it.
#[test]
fn bybit_deletes_only_levels_the_book_holds() {
    use std::collections::BTreeMap;
    let symbols = mdbus_venues::bybit::sim::SIM.symbols();
    let sim = Sim::start(SimConfig {
        venue: mdbus_venues::bybit::sim::SIM,
        symbols: symbols.clone(),
        tick: Duration::from_millis(1),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap();
    let sock = TcpStream::connect(sim.addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{}/v5/public/spot", sim.addr()), sock).unwrap();
    ws.send(Message::text(format!(r#"{{"op":"subscribe","args":["orderbook.50.{}"]}}"#, symbols[0]))).unwrap();
    let mut book: [BTreeMap<String, String>; 2] = Default::default();
    let (mut deltas, mut deletes) = (0, 0);
    while deltas < 400 {
        let Message::Text(t) = ws.read().unwrap() else { continue };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
        let kind = v["type"].as_str().unwrap_or("");
        if kind == "snapshot" {
            book = Default::default();
        } else if kind != "delta" {
            continue;
        }
        for (side, key) in [(0, "b"), (1, "a")] {
            for level in v["data"][key].as_array().unwrap() {
                let (p, q) = (level[0].as_str().unwrap().to_owned(), level[1].as_str().unwrap());
                if q.parse::<f64>().unwrap() == 0.0 {
                    assert!(book[side].remove(&p).is_some(), "delta {deltas} deletes {p}, absent from the book");
                    deletes += 1;
                } else {
                    book[side].insert(p, q.to_owned());
                }
            }
        }
        deltas += usize::from(kind == "delta");
    }
    assert!(deletes > 20, "deletes seen: {deletes}");
}
