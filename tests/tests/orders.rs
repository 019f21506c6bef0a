//! The order path end to end: the SDK's Binance client against the simulator's signed order
//! endpoints, over http and https, with rate limits, clock skew and lost responses.

#![allow(clippy::unwrap_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use mdbus_sdk::{
    credentials::Credentials,
    error::{Error, ErrorCode},
    order::{NewOrder, OrderClient, OrderRef, OrderStatus, Placed, RetryPolicy, Side},
    rate_limit::{Limiter, Rule},
    tls,
};
use mdbus_sim::{Sim, SimConfig, exchange::ExchangeConfig};
use mdbus_venues::binance::order::{BinanceClient, Market};

fn sim(exchange: ExchangeConfig, use_tls: bool) -> Sim {
    Sim::start(SimConfig {
        exchange,
        tls: use_tls,
        tick: Duration::from_millis(5),
        ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM)
    })
    .unwrap()
}

/// Polls `stream` until `want` records (markers aside) are in `reader`, or ten seconds pass;
/// returns them spelled for comparison.
fn account_records(
    stream: &mut dyn mdbus_feeder::account::AccountDriver,
    reader: &mut mdbus_bus::Reader,
    want: usize,
) -> Vec<String> {
    use mdbus_bus::ReadError;
    use mdbus_schemas::RecordView;
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < want && std::time::Instant::now() < deadline {
        stream.poll().unwrap();
        loop {
            match reader.try_read() {
                Ok(rec) => seen.push(match rec.view().unwrap() {
                    RecordView::Order(o) => format!("order {} {:?} {} {}", o.client_id, o.status, o.account, o.qty),
                    RecordView::Fill(f) => {
                        format!("fill {} {} fee {}e{} {}", f.client_id, f.qty, f.fee, f.fee_exp, f.fee_asset)
                    }
                    RecordView::Balance(b) => format!("balance {} {} {}", b.asset, b.free, b.locked),
                    RecordView::Position(p) => format!("position {}", p.qty),
                    RecordView::Marker(_) => continue,
                    other => format!("{other:?}"),
                }),
                Err(ReadError::Empty) => break,
                Err(e) => panic!("{e}"),
            }
        }
    }
    seen
}

fn creds(secret: &str) -> Credentials {
    Credentials::new("mdbus-sim-key", secret, None).unwrap()
}

fn client(sim: &Sim, market: Market) -> BinanceClient {
    let (scheme, pem) = match sim.cert_pem() {
        Some(p) => ("https", vec![p]),
        None => ("http", vec![]),
    };
    let tls = tls::client_config(&[] as &[&str], &pem).unwrap();
    let url = format!("{scheme}://localhost:{}", sim.addr().port());
    BinanceClient::new(market, &url, tls, creds("mdbus-sim-secret")).unwrap()
}

fn limit(qty: &str, px: &str) -> NewOrder {
    NewOrder::limit("BTCUSDT", Side::Buy, qty.parse().unwrap(), px.parse().unwrap())
}

fn accepted(p: Placed) -> mdbus_sdk::order::OrderState {
    match p {
        Placed::Accepted(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn place_query_cancel_and_list_over_keep_alive_https() {
    let s = sim(ExchangeConfig::default(), true);
    let mut c = client(&s, Market::Spot);
    c.warm_up().unwrap();
    let a = accepted(c.place(&limit("0.01", "60000")).unwrap());
    assert_eq!(
        (a.status, a.symbol.as_str(), a.qty.to_string().as_str(), a.price.to_string().as_str()),
        (OrderStatus::New, "BTCUSDT", "0.01", "60000")
    );
    assert!(a.client_order_id.starts_with("mdbus-"), "{}", a.client_order_id);
    let b = accepted(c.place(&limit("0.02", "59000").client_order_id("mine-2")).unwrap());
    assert_eq!(b.client_order_id, "mine-2");
    let q = c.query("BTCUSDT", OrderRef::Client("mine-2")).unwrap();
    assert_eq!((q.order_id.as_str(), q.status), (b.order_id.as_str(), OrderStatus::New));
    let open = c.open_orders(Some("BTCUSDT")).unwrap();
    assert_eq!(open.len(), 2);
    let cancelled = c.cancel("BTCUSDT", OrderRef::Venue(&a.order_id)).unwrap();
    assert_eq!(cancelled.status, OrderStatus::Canceled);
    assert_eq!(c.open_orders(None).unwrap().len(), 1);
    let m = accepted(c.place(&NewOrder::market("BTCUSDT", Side::Sell, "0.5".parse().unwrap())).unwrap());
    assert_eq!((m.status, m.filled.to_string().as_str()), (OrderStatus::Filled, "0.5"));
    let bal = c.balances().unwrap();
    assert!(bal.iter().any(|b| b.asset == "USDT" && b.free.to_string() == "100000.00000000"), "{bal:?}");
    assert!(matches!(c.positions(), Err(Error::NotSupported { .. })));
    // Every request went over the one connection opened by warm_up.
    assert_eq!(c.http().connects(), 1);
    assert_eq!(s.exchange().orders_placed(), 3);
}

#[test]
fn unknown_orders_are_typed_errors() {
    let s = sim(ExchangeConfig::default(), false);
    let mut c = client(&s, Market::Spot);
    let err = c.query("BTCUSDT", OrderRef::Client("never-placed")).unwrap_err();
    assert!(matches!(&err, Error::OrderNotFound { order_id, .. } if order_id == "never-placed"), "{err:?}");
    let err = c.cancel("BTCUSDT", OrderRef::Venue("424242")).unwrap_err();
    assert!(matches!(err, Error::OrderNotFound { .. }), "{err:?}");
    accepted(c.place(&limit("1", "1").client_order_id("dup")).unwrap());
    let err = c.place(&limit("1", "1").client_order_id("dup")).unwrap_err();
    assert!(matches!(err, Error::InvalidOrder { .. }), "{err:?}");
    assert!(err.to_string().contains("Duplicate order sent"), "{err}");
}

#[test]
fn usdm_orders_positions_and_balances() {
    let s = sim(ExchangeConfig::default(), false);
    let mut c = client(&s, Market::UsdM);
    let m = accepted(c.place(&NewOrder::market("BTCUSDT", Side::Buy, "0.003".parse().unwrap())).unwrap());
    assert_eq!(m.status, OrderStatus::Filled);
    accepted(
        c.place(&NewOrder::post_only("ETHUSDT", Side::Sell, "1".parse().unwrap(), "4000".parse().unwrap())).unwrap(),
    );
    let pos = c.positions().unwrap();
    assert_eq!(pos.len(), 1);
    assert_eq!((pos[0].symbol.as_str(), pos[0].qty.to_string().as_str()), ("BTCUSDT", "0.00300000"));
    let bal = c.balances().unwrap();
    assert_eq!(bal[0].asset, "USDT");
    assert_eq!(bal[0].locked.to_string(), "1000.00000000");
}

#[test]
fn bad_signature_and_unknown_key_get_the_venue_errors() {
    let s = sim(ExchangeConfig::default(), false);
    let tls = tls::client_config(&[] as &[&str], &[]).unwrap();
    let url = format!("http://127.0.0.1:{}", s.addr().port());
    let mut wrong = BinanceClient::new(Market::Spot, &url, tls.clone(), creds("not-the-secret")).unwrap();
    let err = wrong.place(&limit("1", "1")).unwrap_err();
    assert!(matches!(err, Error::Authentication { code: ErrorCode::InvalidSignature, .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("not-the-secret"));
    let other = Credentials::new("someone-else", "mdbus-sim-secret", None).unwrap();
    let mut stranger = BinanceClient::new(Market::Spot, &url, tls, other).unwrap();
    let err = stranger.open_orders(None).unwrap_err();
    assert!(matches!(err, Error::Authentication { code: ErrorCode::InvalidApiKey, .. }), "{err:?}");
    assert_eq!(s.exchange().orders_placed(), 0);
}

#[test]
fn a_429_is_honoured_and_the_refused_order_sent_once_more() {
    let cfg = ExchangeConfig { order_limit: 2, order_window: Duration::from_millis(1000), ..ExchangeConfig::default() };
    let s = sim(cfg, false);
    let mut c = client(&s, Market::Spot);
    // Start at the beginning of a window so the first two orders share it.
    while mdbus_bus::now_ns() / 1_000_000 % 1000 > 100 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = Instant::now();
    for i in 0..3 {
        accepted(c.place(&limit("1", &format!("{}", 100 + i))).unwrap());
    }
    // The third was refused with 429 + Retry-After, waited out, then accepted.
    assert!(t.elapsed() >= Duration::from_millis(500), "{:?}", t.elapsed());
    assert_eq!((s.exchange().orders_received(), s.exchange().orders_placed()), (4, 3));
    // A wait longer than the policy allows is returned, not slept.
    let mut impatient =
        client(&s, Market::Spot).with_policy(RetryPolicy::default().max_wait(Duration::from_millis(10)));
    let mut last = None;
    for _ in 0..3 {
        if let Err(e) = impatient.place(&limit("1", "1")) {
            last = Some(e);
            break;
        }
    }
    let e = last.unwrap();
    assert!(e.is_rate_limit() && e.retry_after().is_some(), "{e:?}");
}

#[test]
fn a_shared_limiter_keeps_the_client_under_the_venue_limit() {
    let cfg = ExchangeConfig { order_limit: 2, order_window: Duration::from_millis(1000), ..ExchangeConfig::default() };
    let s = sim(cfg, false);
    let dir = std::env::temp_dir().join(format!("mdbus-orders-limit-{}", std::process::id()));
    let limiter = Arc::new(
        Limiter::shared(
            dir.join("binance.cells"),
            // A sliding window a little longer than the venue's fixed one keeps the client under
            // it whatever the phase between the two clocks (a fixed window of the same length
            // lets a request sent at the end of one window arrive in the next).
            [Rule::sliding_window("orders", 2, Duration::from_millis(1100)).endpoint("/api/v3/order")],
        )
        .unwrap(),
    );
    let mut c = client(&s, Market::Spot).with_limiter(limiter.clone());
    for i in 0..4 {
        accepted(c.place(&limit("1", &format!("{}", 200 + i))).unwrap());
    }
    // The limiter made the client wait: the venue never had to refuse.
    assert_eq!((s.exchange().orders_received(), s.exchange().orders_placed()), (4, 4));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_lost_response_is_resolved_by_query_without_a_second_order() {
    let s = sim(ExchangeConfig { drop_response_every: 1, ..ExchangeConfig::default() }, false);
    let mut c = client(&s, Market::Spot);
    let o = accepted(c.place(&limit("0.1", "50000").client_order_id("lost-1")).unwrap());
    assert_eq!((o.client_order_id.as_str(), o.status), ("lost-1", OrderStatus::New));
    assert_eq!((s.exchange().orders_received(), s.exchange().orders_placed()), (1, 1));
}

#[test]
fn a_timed_out_order_is_resolved_by_query_without_a_second_order() {
    let s = sim(ExchangeConfig { order_delay: Some(Duration::from_millis(700)), ..ExchangeConfig::default() }, false);
    let mut c = client(&s, Market::UsdM).with_timeout(Duration::from_millis(200));
    let o = accepted(c.place(&limit("0.1", "50000").client_order_id("slow-1")).unwrap());
    assert_eq!(o.client_order_id, "slow-1");
    assert_eq!(s.exchange().orders_received(), 1);
}

#[test]
fn an_order_that_never_arrived_is_reported_safe_to_resend_after_its_window() {
    let s = sim(ExchangeConfig { lose_request_every: 1, ..ExchangeConfig::default() }, false);
    let mut c = client(&s, Market::Spot).with_recv_window(300);
    let err = c.place(&limit("0.1", "50000").client_order_id("gone-1")).unwrap_err();
    assert!(matches!(err, Error::Order { code: ErrorCode::OrderTimeout, .. }), "{err:?}");
    assert_eq!((s.exchange().orders_received(), s.exchange().orders_placed()), (1, 0));
}

#[test]
fn an_unresolved_order_stays_unknown_until_resolved() {
    let s = sim(ExchangeConfig { lose_request_every: 1, ..ExchangeConfig::default() }, false);
    let policy = RetryPolicy::default().resolve(Duration::from_millis(150), Duration::from_millis(50));
    let mut c = client(&s, Market::Spot).with_policy(policy).with_recv_window(100);
    match c.place(&limit("0.1", "50000").client_order_id("limbo-1")).unwrap() {
        Placed::Unknown { client_order_id, symbol } => {
            assert_eq!((client_order_id.as_str(), symbol.as_str()), ("limbo-1", "BTCUSDT"))
        }
        other => panic!("{other:?}"),
    }
    // Later, with the window (and the second of margin) passed, resolving says it never arrived.
    std::thread::sleep(Duration::from_millis(1200));
    let err = c.resolve("BTCUSDT", "limbo-1").unwrap_err();
    assert!(matches!(err, Error::Order { code: ErrorCode::OrderTimeout, .. }), "{err:?}");
    assert_eq!(s.exchange().orders_received(), 1);
}

#[test]
fn server_time_offset_is_measured_and_applied() {
    let s = sim(ExchangeConfig { clock_skew_ms: 4000, ..ExchangeConfig::default() }, false);
    let mut c = client(&s, Market::Spot).with_recv_window(1000);
    let err = c.place(&limit("1", "1")).unwrap_err();
    assert!(matches!(err, Error::Authentication { code: ErrorCode::ExpiredTimestamp, .. }), "{err:?}");
    let offset = c.sync_time().unwrap();
    assert!((3900..4100).contains(&offset), "{offset}");
    accepted(c.place(&limit("1", "1")).unwrap());
}

#[test]
fn listen_keys_are_created_and_kept_alive() {
    let s = sim(ExchangeConfig::default(), false);
    for market in [Market::Spot, Market::UsdM] {
        let mut c = client(&s, market);
        let key = c.create_listen_key().unwrap();
        assert!(key.len() >= 32);
        c.keep_alive_listen_key(&key).unwrap();
    }
    assert_eq!(s.exchange().keepalives(), 2);
    let mut c = client(&s, Market::Spot);
    let err = c.keep_alive_listen_key("no-such-key").unwrap_err();
    assert!(matches!(err, Error::Authentication { code: ErrorCode::SessionExpired, .. }), "{err:?}");
}

mod private_stream {
    use std::time::{Duration, Instant};

    use mdbus_bus::{ReadError, RingDir, RingOptions, Start};
    use mdbus_schemas::{Kind, OrderStatus, RecordView, VenueId};
    use mdbus_sdk::{
        clock::FakeClock,
        order::{NewOrder, OrderClient, Side},
        tls,
    };
    use mdbus_venues::binance::order::Market;
    use mdbus_venues::binance::{
        account::AccountDecoder,
        stream::{AccountStream, AccountStreamConfig},
    };

    use super::{accepted, client, limit, sim};

    fn ring_dir(name: &str) -> RingDir {
        let d = RingDir::new(std::env::temp_dir().join(format!("mdbus-account-{name}-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(d.path());
        d
    }

    #[test]
    fn order_events_arrive_in_the_account_ring() {
        for (market, venue) in [(Market::Spot, VenueId::BINANCE_SPOT), (Market::UsdM, VenueId::BINANCE_USDM)] {
            let s = sim(mdbus_sim::exchange::ExchangeConfig::default(), false);
            let dir = ring_dir(market.key());
            let writer = dir.writer("main.account", Kind::ORDER, &RingOptions::default().capacity(1024)).unwrap();
            let mut reader = dir.reader("main.account", Start::Oldest).unwrap();
            let cfg = AccountStreamConfig::new(&format!("ws://127.0.0.1:{}/ws", s.addr().port()));
            let tls = tls::client_config(&[] as &[&str], &[]).unwrap();
            let mut stream = AccountStream::new(
                cfg,
                client(&s, market),
                AccountDecoder::new(venue, 1),
                writer,
                tls,
                FakeClock::new(1),
            );
            stream.poll().unwrap();
            assert_eq!((stream.stats().keys_created, stream.stats().connects), (1, 1));

            let mut trader = client(&s, market);
            let resting = accepted(trader.place(&limit("0.5", "61000").client_order_id("rest-1")).unwrap());
            accepted(
                trader
                    .place(&NewOrder::market("BTCUSDT", Side::Buy, "0.25".parse().unwrap()).client_order_id("take-1"))
                    .unwrap(),
            );
            trader.cancel("BTCUSDT", mdbus_sdk::order::OrderRef::Client("rest-1")).unwrap();

            // new(rest-1), new(take-1), trade(take-1) + fill, two balances on spot or a balance and
            // a position on USD-M, canceled(rest-1).
            let want = 7;
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut seen = Vec::new();
            while seen.len() < want && Instant::now() < deadline {
                stream.poll().unwrap();
                loop {
                    match reader.try_read() {
                        Ok(rec) => seen.push(match rec.view().unwrap() {
                            RecordView::Order(o) => format!("order {} {:?}", o.client_id, o.status),
                            RecordView::Fill(f) => format!("fill {} {}", f.client_id, f.qty),
                            RecordView::Balance(b) => format!("balance {}", b.asset),
                            RecordView::Position(p) => format!("position {}", p.qty),
                            RecordView::Marker(_) => continue,
                            other => format!("{other:?}"),
                        }),
                        Err(ReadError::Empty) => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            let st = |s: OrderStatus| format!("{s:?}");
            assert_eq!(seen[0], format!("order rest-1 {}", st(OrderStatus::NEW)), "{seen:?}");
            assert_eq!(seen[1], format!("order take-1 {}", st(OrderStatus::NEW)), "{seen:?}");
            assert_eq!(seen[2], format!("order take-1 {}", st(OrderStatus::FILLED)), "{seen:?}");
            assert_eq!(seen[3], "fill take-1 25000000", "{seen:?}");
            assert!(seen[4].starts_with("balance "), "{seen:?}");
            let fifth = if market == Market::Spot { "balance USDT" } else { "position 25000000" };
            assert_eq!(seen[5], fifth, "{seen:?}");
            assert_eq!(seen.last().unwrap(), &format!("order rest-1 {}", st(OrderStatus::CANCELED)), "{seen:?}");
            assert_eq!(seen.len(), want, "{seen:?}");
            assert_eq!(resting.client_order_id, "rest-1");
            assert_eq!(stream.stats().decode_errors, 0);
            let _ = std::fs::remove_dir_all(dir.path());
        }
    }

    #[test]
    fn listen_key_keep_alive_follows_the_schedule_on_a_fake_clock() {
        let s = sim(mdbus_sim::exchange::ExchangeConfig::default(), false);
        let dir = ring_dir("keepalive");
        let writer = dir.writer("ka.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let cfg = AccountStreamConfig::new(&format!("ws://127.0.0.1:{}/ws", s.addr().port()));
        let tls = tls::client_config(&[] as &[&str], &[]).unwrap();
        let clock = FakeClock::new(1_000_000_000);
        let mut stream = AccountStream::new(
            cfg,
            client(&s, Market::Spot),
            AccountDecoder::new(VenueId::BINANCE_SPOT, 0),
            writer,
            tls,
            clock.clone(),
        );
        stream.poll().unwrap();
        let minutes = |m: u64| Duration::from_secs(60 * m);
        let mut expected = Vec::new();
        for (advance, want) in [(29, 0), (1, 1), (10, 1), (19, 1), (1, 2), (45, 3)] {
            clock.advance(minutes(advance));
            stream.poll().unwrap();
            expected.push((advance, want, stream.stats().keepalives, s.exchange().keepalives()));
        }
        for (advance, want, ours, venue) in expected {
            assert_eq!((ours, venue), (want, want), "after +{advance} min");
        }
        assert_eq!(stream.stats().keys_created, 1);
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

mod other_venues {
    use std::time::Duration;

    use mdbus_sdk::{
        credentials::Credentials,
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, OrderStatus, Placed, Side},
        tls,
    };
    use mdbus_sim::{Sim, exchange::ExchangeConfig};
    use mdbus_venues::{bybit::order as bybit, okx::order as okx};

    use super::sim;

    fn creds(secret: &str) -> Credentials {
        Credentials::new("mdbus-sim-key", secret, Some("mdbus-sim-pass".into())).unwrap()
    }

    fn url(s: &Sim) -> String {
        format!("http://127.0.0.1:{}", s.addr().port())
    }

    /// The clients under test: OKX spot and swap, Bybit spot and linear, each with the symbol
    /// it trades and whether it has positions.
    fn clients(s: &Sim, secret: &str) -> Vec<(Box<dyn OrderClient>, &'static str, bool)> {
        let t = || tls::client_config(&[] as &[&str], &[]).unwrap();
        vec![
            (Box::new(okx::OkxClient::new(okx::Market::Spot, &url(s), t(), creds(secret)).unwrap()), "BTC-USDT", false),
            (
                Box::new(okx::OkxClient::new(okx::Market::Swap, &url(s), t(), creds(secret)).unwrap()),
                "BTC-USDT-SWAP",
                true,
            ),
            (
                Box::new(bybit::BybitClient::new(bybit::Market::Spot, &url(s), t(), creds(secret)).unwrap()),
                "BTCUSDT",
                false,
            ),
            (
                Box::new(bybit::BybitClient::new(bybit::Market::Linear, &url(s), t(), creds(secret)).unwrap()),
                "ETHUSDT",
                true,
            ),
        ]
    }

    fn accepted(p: Placed) -> mdbus_sdk::order::OrderState {
        match p {
            Placed::Accepted(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn okx_and_bybit_place_query_cancel_list_balances_and_positions() {
        let s = sim(ExchangeConfig::default(), false);
        for (mut c, symbol, has_positions) in clients(&s, "mdbus-sim-secret") {
            let name = format!("{c:?}");
            let offset = c.sync_time().unwrap();
            assert!(offset.abs() < 1000, "{name}: {offset}");
            let a = accepted(
                c.place(&NewOrder::limit(symbol, Side::Buy, "0.01".parse().unwrap(), "60000".parse().unwrap()))
                    .unwrap(),
            );
            assert!(!a.order_id.is_empty() && !a.client_order_id.is_empty(), "{name}: {a:?}");
            let q = c.query(symbol, OrderRef::Client(&a.client_order_id)).unwrap();
            assert_eq!(
                (q.status, q.qty.to_string().as_str(), q.price.to_string().as_str()),
                (OrderStatus::New, "0.01", "60000"),
                "{name}"
            );
            assert_eq!(c.query(symbol, OrderRef::Venue(&a.order_id)).unwrap().client_order_id, a.client_order_id);
            let b = accepted(
                c.place(
                    &NewOrder::post_only(symbol, Side::Sell, "1".parse().unwrap(), "70000".parse().unwrap())
                        .client_order_id("mdbusb2"),
                )
                .unwrap(),
            );
            assert_eq!(c.open_orders(Some(symbol)).unwrap().len(), 2, "{name}");
            let cancelled = c.cancel(symbol, OrderRef::Client("mdbusb2")).unwrap();
            assert_eq!(
                (cancelled.status, cancelled.order_id.as_str()),
                (OrderStatus::Canceled, b.order_id.as_str()),
                "{name}"
            );
            assert_eq!(c.open_orders(None).unwrap().len(), 1, "{name}");
            let err = c.cancel(symbol, OrderRef::Client("mdbusb2")).unwrap_err();
            assert!(matches!(err, Error::OrderNotFound { .. }), "{name}: {err:?}");
            let err = c.query(symbol, OrderRef::Client("never")).unwrap_err();
            assert!(matches!(err, Error::OrderNotFound { .. }), "{name}: {err:?}");
            let err = c
                .place(
                    &NewOrder::limit(symbol, Side::Buy, "1".parse().unwrap(), "1".parse().unwrap())
                        .client_order_id(&a.client_order_id),
                )
                .unwrap_err();
            assert_eq!(err.code(), ErrorCode::DuplicateOrder, "{name}: {err:?}");
            accepted(c.place(&NewOrder::market(symbol, Side::Buy, "0.002".parse().unwrap())).unwrap());
            let bal = c.balances().unwrap();
            assert!(bal.iter().any(|b| b.asset == "USDT" && b.free.to_string() == "99000"), "{name}: {bal:?}");
            match c.positions() {
                Ok(p) if has_positions => {
                    assert_eq!(p.len(), 1, "{name}: {p:?}");
                    assert_eq!((p[0].symbol.as_str(), p[0].qty.to_string().as_str()), (symbol, "0.00200000"), "{name}");
                }
                Err(Error::NotSupported { .. }) if !has_positions => {}
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn okx_and_bybit_report_bad_signatures_as_auth_errors() {
        let s = sim(ExchangeConfig::default(), false);
        for (mut c, symbol, _) in clients(&s, "wrong-secret") {
            let err =
                c.place(&NewOrder::limit(symbol, Side::Buy, "1".parse().unwrap(), "1".parse().unwrap())).unwrap_err();
            assert!(matches!(err, Error::Authentication { code: ErrorCode::InvalidSignature, .. }), "{c:?}: {err:?}");
            assert!(!format!("{err:?}").contains("wrong-secret"));
        }
        assert_eq!(s.exchange().orders_placed(), 0);
        let nopass = Credentials::new("mdbus-sim-key", "mdbus-sim-secret", None).unwrap();
        let err =
            okx::OkxClient::new(okx::Market::Spot, &url(&s), tls::client_config(&[] as &[&str], &[]).unwrap(), nopass)
                .unwrap_err();
        assert!(err.to_string().contains("passphrase"));
    }

    #[test]
    fn okx_and_bybit_resolve_lost_responses_without_a_second_order() {
        let s = sim(ExchangeConfig { drop_response_every: 1, ..ExchangeConfig::default() }, false);
        for (i, (mut c, symbol, _)) in clients(&s, "mdbus-sim-secret").into_iter().enumerate() {
            let cid = format!("lost{i}");
            let o = accepted(
                c.place(
                    &NewOrder::limit(symbol, Side::Buy, "1".parse().unwrap(), "100".parse().unwrap())
                        .client_order_id(&cid),
                )
                .unwrap(),
            );
            assert_eq!(o.client_order_id, cid);
            assert_eq!(s.exchange().orders_received(), i as u64 + 1, "{c:?}");
        }
        assert_eq!(s.exchange().orders_placed(), 4);
    }

    #[test]
    fn okx_and_bybit_wait_out_rate_limits() {
        let cfg =
            ExchangeConfig { order_limit: 1, order_window: Duration::from_millis(300), ..ExchangeConfig::default() };
        let s = sim(cfg, false);
        for (mut c, symbol, _) in clients(&s, "mdbus-sim-secret") {
            let before = s.exchange().orders_placed();
            for px in ["100", "101"] {
                accepted(
                    c.place(&NewOrder::limit(symbol, Side::Buy, "1".parse().unwrap(), px.parse().unwrap())).unwrap(),
                );
            }
            assert_eq!(s.exchange().orders_placed() - before, 2, "{c:?}");
        }
        // Each client met the limit once and resent after waiting: 8 placed, 12 received at most.
        assert_eq!(s.exchange().orders_placed(), 8);
        assert!(s.exchange().orders_received() > 8);
    }
}

mod okx_private_stream {
    use std::time::{Duration, Instant};

    use mdbus_bus::{ReadError, RingDir, RingOptions, Start};
    use mdbus_feeder::account::AccountStreamError;
    use mdbus_schemas::{Kind, OrderStatus, RecordView};
    use mdbus_sdk::{
        credentials::Credentials,
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, Placed, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::okx::order as okx;
    use mdbus_venues::okx::{
        account::OkxAccountDecoder,
        stream::{OkxAccountStream, OkxPrivate},
    };

    use super::sim;

    fn creds(secret: &str) -> Credentials {
        Credentials::new("mdbus-sim-key", secret, Some("mdbus-sim-pass".into())).unwrap()
    }

    #[test]
    fn okx_login_subscribe_and_order_events_in_the_account_ring() {
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-okx-account-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("okx.account", Kind::ORDER, &RingOptions::default().capacity(256)).unwrap();
        let mut reader = dir.reader("okx.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/ws/v5/private", s.addr().port());
        let mut stream = OkxAccountStream::new(
            &url,
            OkxPrivate::new(creds("mdbus-sim-secret"), OkxAccountDecoder::new(2)),
            writer,
            t.clone(),
        );
        stream.poll().unwrap();
        let mut c = okx::OkxClient::new(
            okx::Market::Spot,
            &format!("http://127.0.0.1:{}", s.addr().port()),
            t.clone(),
            creds("mdbus-sim-secret"),
        )
        .unwrap();
        let Placed::Accepted(_) = c
            .place(
                &NewOrder::limit("BTC-USDT", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("okxrest1"),
            )
            .unwrap()
        else {
            panic!()
        };
        let Placed::Accepted(_) = c
            .place(&NewOrder::market("BTC-USDT", Side::Sell, "0.25".parse().unwrap()).client_order_id("okxtake1"))
            .unwrap()
        else {
            panic!()
        };
        c.cancel("BTC-USDT", OrderRef::Client("okxrest1")).unwrap();
        // live(rest), live(take), filled(take) + fill, balance, canceled(rest).
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.len() < 6 && Instant::now() < deadline {
            stream.poll().unwrap();
            loop {
                match reader.try_read() {
                    Ok(rec) => seen.push(match rec.view().unwrap() {
                        RecordView::Order(o) => format!("order {} {:?} {}", o.client_id, o.status, o.account),
                        RecordView::Fill(f) => format!("fill {} {} fee {}e{}", f.client_id, f.qty, f.fee, f.fee_exp),
                        RecordView::Balance(b) => format!("balance {} {}", b.asset, b.free),
                        RecordView::Marker(_) => continue,
                        other => format!("{other:?}"),
                    }),
                    Err(ReadError::Empty) => break,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        let st = |x: OrderStatus| format!("{x:?}");
        assert_eq!(
            seen,
            [
                format!("order okxrest1 {} 2", st(OrderStatus::NEW)),
                format!("order okxtake1 {} 2", st(OrderStatus::NEW)),
                format!("order okxtake1 {} 2", st(OrderStatus::FILLED)),
                "fill okxtake1 25000000 fee 13e-3".to_owned(),
                "balance USDT 9900000000000".to_owned(),
                format!("order okxrest1 {} 2", st(OrderStatus::CANCELED)),
            ]
        );
        assert_eq!((stream.stats().connects, stream.stats().decode_errors), (1, 0));

        let w2 = dir.writer("bad.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let mut bad =
            OkxAccountStream::new(&url, OkxPrivate::new(creds("wrong-secret"), OkxAccountDecoder::new(0)), w2, t);
        let err = bad.poll().unwrap_err();
        assert!(
            matches!(err, AccountStreamError::Venue(Error::Authentication { code: ErrorCode::InvalidSignature, .. })),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?} {bad:?}").contains("wrong-secret"));
        let _ = std::fs::remove_dir_all(dir.path());
    }

    /// A refused login, run as the feeder runs an account: counted as an auth failure, and one
    /// `auth_failed` marker in the account's ring for the whole run of refusals.
    #[test]
    fn a_refused_login_is_counted_and_marked_in_the_account_ring() {
        use mdbus_feeder::account::AccountRunner;
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-okx-refused-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("acct.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let mut reader = dir.reader("acct.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/ws/v5/private", s.addr().port());
        let stream =
            OkxAccountStream::new(&url, OkxPrivate::new(creds("wrong-secret"), OkxAccountDecoder::new(4)), writer, t);
        let mut runner = AccountRunner::new("acct", mdbus_schemas::VenueId::OKX, 4, Box::new(stream));
        let metrics = mdbus_tools::metrics::MetricsServer::start("127.0.0.1:0".parse().unwrap(), dir.clone()).unwrap();
        runner.set_reports(metrics.account_reports());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let th = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                runner.run(&stop);
                runner
            })
        };
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let runner = th.join().unwrap();
        let st = runner.stats();
        assert!(st.auth_failures >= 2 && st.failures == st.auth_failures, "{st:?}");
        let mut marks = Vec::new();
        while let Ok(rec) = reader.try_read() {
            if let Ok(RecordView::Marker(m)) = rec.view() {
                marks.push((m.code, m.detail));
            }
        }
        let auth: Vec<_> = marks.iter().filter(|(c, _)| *c == mdbus_schemas::MarkerCode::AUTH_FAILED).collect();
        assert_eq!(auth, [&(mdbus_schemas::MarkerCode::AUTH_FAILED, 4)], "one marker per run of refusals: {marks:?}");
        // And /metrics counts them, for the account.
        let scrape = || {
            use std::io::{Read, Write};
            let mut c = std::net::TcpStream::connect(metrics.addr()).unwrap();
            write!(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            out
        };
        let line = (0..40)
            .find_map(|_| {
                let text = scrape();
                let line = text
                    .lines()
                    .find(|l| l.starts_with(r#"mdbus_account_auth_failures_total{account="acct"}"#))
                    .map(str::to_owned);
                if line.is_none() {
                    std::thread::sleep(Duration::from_millis(50));
                }
                line
            })
            .expect("the account in /metrics");
        let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(n, st.auth_failures, "{line}");
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// Gate.io, HTX and Gemini signers against the simulator's verifiers over HTTP (Binance, OKX
/// and Bybit are exercised by their order clients above).
mod signer_verifiers {
    use mdbus_sdk::{http::HttpClient, order::time::iso8601_secs, signing::percent_encode, tls};
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::{gate::sign::GateSigner, gemini::sign::GeminiSigner, htx::sign::HtxSigner};
    use serde_json::Value;

    use super::sim;

    const KEY: &str = "mdbus-sim-key";
    const SECRET: &str = "mdbus-sim-secret";

    fn http(s: &mdbus_sim::Sim) -> HttpClient {
        HttpClient::new(
            &format!("http://127.0.0.1:{}", s.addr().port()),
            tls::client_config(&[] as &[&str], &[]).unwrap(),
        )
        .unwrap()
    }

    fn json(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn gate_signatures_verify_and_a_bad_one_gets_gates_error() {
        let s = sim(ExchangeConfig::default(), false);
        let mut h = http(&s);
        let secs = mdbus_bus::now_ns() / 1_000_000_000;
        // Whole seconds, and seconds with a fraction as gate-api sends them.
        for (ts, secret, status, label) in [
            (secs.to_string(), SECRET, 200, None),
            (format!("{secs}.123456"), SECRET, 200, None),
            (secs.to_string(), "other", 401, Some("INVALID_SIGNATURE")),
        ] {
            let sig = GateSigner::new(secret).sign("GET", "/api/v4/spot/accounts", "", "", &ts);
            let r = h
                .request(
                    "GET",
                    "/api/v4/spot/accounts",
                    &[("KEY", KEY), ("Timestamp", &ts), ("SIGN", sig.as_str())],
                    b"",
                )
                .unwrap();
            assert_eq!(r.status, status);
            let v = json(&r.body);
            match label {
                None => assert_eq!(v[0]["currency"], "USDT"),
                Some(l) => assert_eq!(v["label"], l),
            }
        }
    }

    #[test]
    fn htx_signatures_verify_and_a_bad_one_gets_htxs_error() {
        let s = sim(ExchangeConfig::default(), false);
        let mut h = http(&s);
        let ts = iso8601_secs(mdbus_bus::now_ns() / 1_000_000);
        // The host as sent in `Host` (port included) or without the port: both are the host a
        // client may sign.
        let with_port = format!("127.0.0.1:{}", s.addr().port());
        for (host, secret, ok) in
            [("127.0.0.1", SECRET, true), (with_port.as_str(), SECRET, true), ("127.0.0.1", "other", false)]
        {
            let (query, sig) = HtxSigner::new(secret).sign("GET", host, "/v1/account/accounts", KEY, &ts, &[]);
            let mut target = format!("/v1/account/accounts?{query}&Signature=");
            percent_encode(sig.as_str(), &mut target);
            let r = h.request("GET", &target, &[], b"").unwrap();
            let v = json(&r.body);
            if ok {
                assert_eq!((v["status"].as_str(), v["data"][0]["type"].as_str()), (Some("ok"), Some("spot")), "{v}");
            } else {
                assert_eq!(
                    (v["status"].as_str(), v["err-code"].as_str()),
                    (Some("error"), Some("api-signature-not-valid")),
                    "{v}"
                );
            }
        }
    }

    #[test]
    fn gemini_signatures_verify_nonces_increase_and_a_bad_one_gets_geminis_error() {
        let s = sim(ExchangeConfig::default(), false);
        let mut h = http(&s);
        let send = |h: &mut HttpClient, secret: &str, nonce: u64| {
            let payload = format!(r#"{{"request":"/v1/balances","nonce":{nonce}}}"#);
            let (b64, sig) = GeminiSigner::new(secret).sign(&payload);
            let headers = [
                ("X-GEMINI-APIKEY", KEY),
                ("X-GEMINI-PAYLOAD", b64.as_str()),
                ("X-GEMINI-SIGNATURE", sig.as_str()),
                ("Content-Type", "text/plain"),
            ];
            let r = h.request("POST", "/v1/balances", &headers, b"").unwrap();
            (r.status, json(&r.body))
        };
        let (status, v) = send(&mut h, SECRET, 1000);
        assert_eq!((status, v[0]["currency"].as_str()), (200, Some("USD")), "{v}");
        let (status, v) = send(&mut h, "other", 1001);
        assert_eq!((status, v["reason"].as_str()), (400, Some("InvalidSignature")), "{v}");
        let (status, v) = send(&mut h, SECRET, 1000);
        assert_eq!((status, v["reason"].as_str()), (400, Some("InvalidNonce")), "{v}");
    }
}

/// Accounts configured in the feeder's YAML run their private streams into `<name>.account`.
mod configured_accounts {
    use std::{
        os::unix::fs::PermissionsExt,
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        time::{Duration, Instant},
    };

    use mdbus_bus::{ReadError, RingDir, Start};
    use mdbus_feeder::{config::FeedConfig, engine::build_accounts};
    use mdbus_schemas::RecordView;
    use mdbus_sdk::{
        order::{NewOrder, OrderClient, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::binance::order::Market;

    use super::{client, sim};

    #[test]
    fn a_configured_binance_account_streams_its_orders_into_its_ring() {
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-configured-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        std::fs::create_dir_all(dir.path()).unwrap();
        let secrets = dir.path().join("binance.secrets");
        std::fs::write(&secrets, "api_key=mdbus-sim-key\nsecret=mdbus-sim-secret\n").unwrap();
        std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
        let port = s.addr().port();
        let yaml = format!(
            "workers: [{{ core: 0 }}]\nfeeds:\n  - {{ name: md, venue: binance, market: spot, url: 'ws://127.0.0.1:{port}/stream', rest_url: 'http://127.0.0.1:{port}', channels: [trade], symbols: [{{ symbol: BTCUSDT, id: 1, price_exp: -2, qty_exp: -5 }}] }}\naccounts:\n  - {{ name: main, venue: binance, market: spot, rest_url: 'http://127.0.0.1:{port}', ws_url: 'ws://127.0.0.1:{port}/ws', credentials_file: '{}', number: 7, ring_capacity: 1024 }}\n",
            secrets.display()
        );
        let cfg = FeedConfig::from_yaml(&yaml, mdbus_venues::ALL).unwrap();
        let mut runners =
            build_accounts(&cfg, mdbus_venues::ALL, &dir, tls::client_config(&[] as &[&str], &[]).unwrap()).unwrap();
        assert_eq!(runners.len(), 1);
        let mut runner = runners.remove(0);
        assert_eq!(runner.name(), "main");
        let mut reader = dir.reader("main.account", Start::Oldest).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let t = std::thread::spawn(move || {
            runner.run(&st);
            runner.stats()
        });
        // Wait until the user-data stream is open, then trade.
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.exchange().sessions() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut c = client(&s, Market::Spot);
        assert!(matches!(
            c.place(
                &NewOrder::limit("BTCUSDT", Side::Buy, "1".parse().unwrap(), "100".parse().unwrap())
                    .client_order_id("cfg-1")
            )
            .unwrap(),
            mdbus_sdk::order::Placed::Accepted(_)
        ));
        let mut got = None;
        while got.is_none() && Instant::now() < deadline {
            match reader.try_read() {
                Ok(rec) => {
                    if let Ok(RecordView::Order(o)) = rec.view() {
                        got = Some((o.client_id.to_string(), o.account));
                    }
                }
                Err(ReadError::Empty) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("{e}"),
            }
        }
        stop.store(true, Ordering::SeqCst);
        let stats = t.join().unwrap();
        assert_eq!(got, Some(("cfg-1".to_owned(), 7)));
        assert_eq!(stats.keys_created, 1);
        let _ = std::fs::remove_dir_all(dir.path());
    }

    #[test]
    fn account_entries_are_validated_and_credentials_checked() {
        let base = "workers: [{ core: 0 }]\nfeeds: []\naccounts:\n";
        let bad =
            format!("{base}  - {{ name: 'a b', venue: kraken, market: x, ws_url: 'http://x', ring_capacity: 100 }}\n");
        let err = FeedConfig::from_yaml(&bad, mdbus_venues::ALL).unwrap_err().to_string();
        for field in [
            "accounts[0].name",
            "accounts[0].venue",
            "accounts[0].ws_url",
            "accounts[0].credentials_env",
            "accounts[0].ring_capacity",
        ] {
            assert!(err.contains(field), "{field} missing from {err}");
        }
        let no_rest = format!("{base}  - {{ name: b, venue: binance, ws_url: 'ws://x', credentials_env: X }}\n");
        assert!(
            FeedConfig::from_yaml(&no_rest, mdbus_venues::ALL)
                .unwrap_err()
                .to_string()
                .contains("accounts[0].rest_url")
        );
        let missing = format!(
            "{base}  - {{ name: c, venue: okx, ws_url: 'ws://127.0.0.1:1/ws/v5/private', credentials_env: MDBUS_TEST_NO_SUCH }}\n"
        );
        let cfg = FeedConfig::from_yaml(&missing, mdbus_venues::ALL).unwrap();
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-configured-bad-{}", std::process::id())));
        let err = build_accounts(&cfg, mdbus_venues::ALL, &dir, tls::client_config(&[] as &[&str], &[]).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("MDBUS_TEST_NO_SUCH_API_KEY"), "{err}");
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// Bybit's private websocket (`auth`, then the account topics) run by the feeder's shared
/// private stream against the simulator, with orders placed through the Bybit order client.
mod bybit_private_stream {

    use mdbus_bus::{RingDir, RingOptions, Start};
    use mdbus_feeder::account::AccountStreamError;
    use mdbus_schemas::{Kind, OrderStatus};
    use mdbus_sdk::{
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, Placed, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::bybit::{
        account::{BybitAccountDecoder, BybitAccountStream, BybitPrivate},
        order as bybit,
    };

    use super::{creds, sim};

    #[test]
    fn bybit_auth_subscribe_and_order_events_in_the_account_ring() {
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-bybit-account-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("bybit.account", Kind::ORDER, &RingOptions::default().capacity(256)).unwrap();
        let mut reader = dir.reader("bybit.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/v5/private", s.addr().port());
        let protocol = BybitPrivate::new(creds("mdbus-sim-secret"), BybitAccountDecoder::new(3));
        let mut stream = BybitAccountStream::new(&url, protocol, writer, t.clone());
        stream.poll().unwrap();
        let base = format!("http://127.0.0.1:{}", s.addr().port());
        let mut spot =
            bybit::BybitClient::new(bybit::Market::Spot, &base, t.clone(), creds("mdbus-sim-secret")).unwrap();
        let Placed::Accepted(_) = spot
            .place(
                &NewOrder::limit("BTCUSDT", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("bybitrest1"),
            )
            .unwrap()
        else {
            panic!()
        };
        let mut linear =
            bybit::BybitClient::new(bybit::Market::Linear, &base, t.clone(), creds("mdbus-sim-secret")).unwrap();
        let Placed::Accepted(_) = linear
            .place(&NewOrder::market("BTCUSDT", Side::Sell, "0.25".parse().unwrap()).client_order_id("bybittake1"))
            .unwrap()
        else {
            panic!()
        };
        spot.cancel("BTCUSDT", OrderRef::Client("bybitrest1")).unwrap();
        // new(rest); new(take), fill(take), filled(take), wallet, position; canceled(rest).
        let seen = super::account_records(&mut stream, &mut reader, 7);
        let st = |x: OrderStatus| format!("{x:?}");
        assert_eq!(
            seen,
            [
                format!("order bybitrest1 {} 3 50000000", st(OrderStatus::NEW)),
                format!("order bybittake1 {} 3 25000000", st(OrderStatus::NEW)),
                "fill bybittake1 25000000 fee 13e-3 USDT".to_owned(),
                format!("order bybittake1 {} 3 25000000", st(OrderStatus::FILLED)),
                "balance USDT 9900000000000 100000000000".to_owned(),
                "position -25000000".to_owned(),
                format!("order bybitrest1 {} 3 50000000", st(OrderStatus::CANCELED)),
            ]
        );
        assert_eq!((stream.stats().connects, stream.stats().decode_errors), (1, 0));

        // A reconnect logs in again and the stream goes on.
        mdbus_feeder::account::AccountDriver::disconnect(&mut stream);
        stream.poll().unwrap();
        spot.cancel("BTCUSDT", OrderRef::Client("bybitrest1")).unwrap_err();
        let Placed::Accepted(_) = spot
            .place(
                &NewOrder::limit("BTCUSDT", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("bybitrest2"),
            )
            .unwrap()
        else {
            panic!()
        };
        let again = super::account_records(&mut stream, &mut reader, 1);
        assert_eq!(again, [format!("order bybitrest2 {} 3 50000000", st(OrderStatus::NEW))]);
        assert_eq!(stream.stats().connects, 2);

        let w2 = dir.writer("bad.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let bad_protocol = BybitPrivate::new(creds("wrong-secret"), BybitAccountDecoder::new(0));
        let mut bad = BybitAccountStream::new(&url, bad_protocol, w2, t);
        let err = bad.poll().unwrap_err();
        assert!(
            matches!(err, AccountStreamError::Venue(Error::Authentication { code: ErrorCode::InvalidSignature, .. })),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?} {bad:?}").contains("wrong-secret"));
        let _ = std::fs::remove_dir_all(dir.path());
    }

    /// The simulator refuses what Bybit refuses: an `expires` in the past, a subscription
    /// before `auth`.
    #[test]
    fn bybit_refuses_a_past_expires_and_a_subscription_before_auth() {
        use tungstenite::Message;
        let s = sim(ExchangeConfig::default(), false);
        let (mut ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{}/v5/private", s.addr().port())).unwrap();
        let mut ask = |text: String| {
            ws.send(Message::text(text)).unwrap();
            loop {
                if let Message::Text(t) = ws.read().unwrap() {
                    return serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap();
                }
            }
        };
        let v = ask(r#"{"op":"subscribe","args":["order"]}"#.to_owned());
        assert_eq!((v["success"].as_bool(), v["ret_msg"].as_str()), (Some(false), Some("Request not authorized")));
        let expires = mdbus_bus::now_ns() / 1_000_000 - 1_000;
        let sig = mdbus_venues::bybit::sign::BybitSigner::new("mdbus-sim-secret").sign_ws_auth(&expires.to_string());
        let v = ask(format!(r#"{{"op":"auth","args":["mdbus-sim-key",{expires},"{}"]}}"#, sig.as_str()));
        assert_eq!((v["success"].as_bool(), v["ret_msg"].as_str()), (Some(false), Some("Params Error")));
        let decoded = BybitAccountDecoder::new(0).decode(v.to_string().as_bytes(), 0, &mut Vec::new()).unwrap();
        assert!(
            matches!(
                decoded,
                mdbus_feeder::private::Answer::Refused(Error::Authentication { code: ErrorCode::ExpiredTimestamp, .. })
            ),
            "{decoded:?}"
        );
    }
}

/// HTX's private websocket (`auth` version 2.1 over the URL's host and path, then the account
/// channels; the server's pings answered) against the simulator.
mod htx_private_stream {

    use mdbus_bus::{RingDir, RingOptions, Start};
    use mdbus_feeder::{account::AccountStreamError, private::Answer};
    use mdbus_schemas::{Kind, OrderStatus};
    use mdbus_sdk::{
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, Placed, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::htx::{
        account::{HtxAccountDecoder, HtxAccountStream, HtxPrivate},
        order as htx,
    };

    use super::{creds, sim};

    #[test]
    fn htx_auth_subscribe_and_order_events_in_the_account_ring() {
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-htx-account-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("htx.account", Kind::ORDER, &RingOptions::default().capacity(256)).unwrap();
        let mut reader = dir.reader("htx.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/ws/v2", s.addr().port());
        let protocol = HtxPrivate::new(&url, creds("mdbus-sim-secret"), HtxAccountDecoder::new(5)).unwrap();
        let mut stream = HtxAccountStream::new(&url, protocol, writer, t.clone());
        stream.poll().unwrap();
        let base = format!("http://127.0.0.1:{}", s.addr().port());
        let mut c = htx::HtxClient::new(&base, t.clone(), creds("mdbus-sim-secret")).unwrap();
        let Placed::Accepted(_) = c
            .place(
                &NewOrder::limit("btcusdt", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("htxrest1"),
            )
            .unwrap()
        else {
            panic!()
        };
        let Placed::Accepted(_) = c
            .place(&NewOrder::market("btcusdt", Side::Sell, "0.25".parse().unwrap()).client_order_id("htxtake1"))
            .unwrap()
        else {
            panic!()
        };
        c.cancel("btcusdt", OrderRef::Client("htxrest1")).unwrap();
        let seen = super::account_records(&mut stream, &mut reader, 6);
        let st = |x: OrderStatus| format!("{x:?}");
        assert_eq!(
            seen,
            [
                format!("order htxrest1 {} 5 50000000", st(OrderStatus::NEW)),
                format!("order htxtake1 {} 5 25000000", st(OrderStatus::NEW)),
                "fill htxtake1 25000000 fee 13e-3 USDT".to_owned(),
                format!("order htxtake1 {} 5 25000000", st(OrderStatus::FILLED)),
                "balance USDT 9900000000000 100000000000".to_owned(),
                format!("order htxrest1 {} 5 50000000", st(OrderStatus::CANCELED)),
            ]
        );
        assert_eq!((stream.stats().connects, stream.stats().decode_errors), (1, 0));

        let w2 = dir.writer("bad.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let bad_protocol = HtxPrivate::new(&url, creds("wrong-secret"), HtxAccountDecoder::new(0)).unwrap();
        let mut bad = HtxAccountStream::new(&url, bad_protocol, w2, t);
        let err = bad.poll().unwrap_err();
        assert!(
            matches!(err, AccountStreamError::Venue(Error::Authentication { code: ErrorCode::InvalidSignature, .. })),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?} {bad:?}").contains("wrong-secret"));
        let _ = std::fs::remove_dir_all(dir.path());
    }

    /// The server's documented ping is answered with a pong carrying its `ts`.
    #[test]
    fn htx_pings_are_answered_with_their_ts() {
        let d = HtxAccountDecoder::new(0);
        let answer = d.decode(br#"{"action":"ping","data":{"ts":1575537778295}}"#, 0, &mut Vec::new()).unwrap();
        let Answer::Reply(pong) = answer else { panic!("{answer:?}") };
        let v: serde_json::Value = serde_json::from_str(&pong).unwrap();
        assert_eq!(v, serde_json::json!({"action": "pong", "data": {"ts": 1575537778295u64}}));
    }
}

/// Gate.io's private channels (each subscription signed, on the market-stream socket) against
/// the simulator.
mod gate_private_stream {
    use std::time::Duration;

    use mdbus_bus::{RingDir, RingOptions, Start};
    use mdbus_feeder::account::AccountStreamError;
    use mdbus_schemas::{Kind, OrderStatus};
    use mdbus_sdk::{
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, Placed, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::gate::{
        account::{GateAccountDecoder, GateAccountStream, GatePrivate},
        order as gate,
    };

    use super::creds;

    #[test]
    fn gate_signed_subscriptions_and_order_events_in_the_account_ring() {
        // Gate.io's private channels ride the market-stream socket: the simulator speaks Gate.io.
        let s = mdbus_sim::Sim::start(mdbus_sim::SimConfig {
            exchange: ExchangeConfig::default(),
            tick: Duration::from_millis(5),
            ..mdbus_venues::sim_config(mdbus_venues::gate::sim::SIM)
        })
        .unwrap();
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-gate-account-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("gate.account", Kind::ORDER, &RingOptions::default().capacity(256)).unwrap();
        let mut reader = dir.reader("gate.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/ws/v4/", s.addr().port());
        let protocol = GatePrivate::new(creds("mdbus-sim-secret"), GateAccountDecoder::new(6));
        let mut stream = GateAccountStream::new(&url, protocol, writer, t.clone());
        // The login, then the two other subscriptions' answers.
        for _ in 0..3 {
            stream.poll().unwrap();
        }
        let base = format!("http://127.0.0.1:{}", s.addr().port());
        let mut c = gate::GateClient::new(&base, t.clone(), creds("mdbus-sim-secret")).unwrap();
        let Placed::Accepted(_) = c
            .place(
                &NewOrder::limit("BTC_USDT", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("gaterest1"),
            )
            .unwrap()
        else {
            panic!()
        };
        let Placed::Accepted(_) = c
            .place(&NewOrder::market("BTC_USDT", Side::Sell, "0.25".parse().unwrap()).client_order_id("gatetake1"))
            .unwrap()
        else {
            panic!()
        };
        c.cancel("BTC_USDT", OrderRef::Client("gaterest1")).unwrap();
        let seen = super::account_records(&mut stream, &mut reader, 6);
        let st = |x: OrderStatus| format!("{x:?}");
        assert_eq!(
            seen,
            [
                format!("order gaterest1 {} 6 50000000", st(OrderStatus::NEW)),
                format!("order gatetake1 {} 6 25000000", st(OrderStatus::NEW)),
                "fill gatetake1 25000000 fee 13e-3 USDT".to_owned(),
                format!("order gatetake1 {} 6 25000000", st(OrderStatus::FILLED)),
                "balance USDT 9900000000000 100000000000".to_owned(),
                format!("order gaterest1 {} 6 50000000", st(OrderStatus::CANCELED)),
            ]
        );
        assert_eq!((stream.stats().connects, stream.stats().decode_errors), (1, 0));

        let w2 = dir.writer("bad.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let bad_protocol = GatePrivate::new(creds("wrong-secret"), GateAccountDecoder::new(0));
        let mut bad = GateAccountStream::new(&url, bad_protocol, w2, t);
        let err = bad.poll().unwrap_err();
        assert!(
            matches!(err, AccountStreamError::Venue(Error::Authentication { code: ErrorCode::InvalidSignature, .. })),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?} {bad:?}").contains("wrong-secret"));
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// Gemini's order events socket (authenticated in the handshake's headers) against the
/// simulator.
mod gemini_private_stream {
    use std::time::Duration;

    use mdbus_bus::{RingDir, RingOptions, Start};
    use mdbus_feeder::account::AccountStreamError;
    use mdbus_schemas::{Kind, OrderStatus};
    use mdbus_sdk::{
        credentials::Credentials,
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, Placed, Side},
        tls,
    };
    use mdbus_sim::exchange::ExchangeConfig;
    use mdbus_venues::gemini::{
        account::{GeminiAccountDecoder, GeminiAccountStream, GeminiPrivate},
        order as gemini,
    };

    use super::sim;

    fn creds(secret: &str) -> Credentials {
        // Gemini's own form of an account-scoped key; the simulator knows both.
        Credentials::new("account-mdbus-sim-key", secret, None).unwrap()
    }

    #[test]
    fn gemini_handshake_auth_and_order_events_in_the_account_ring() {
        let s = sim(ExchangeConfig::default(), false);
        let dir = RingDir::new(std::env::temp_dir().join(format!("mdbus-gemini-account-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(dir.path());
        let writer = dir.writer("gemini.account", Kind::ORDER, &RingOptions::default().capacity(256)).unwrap();
        let mut reader = dir.reader("gemini.account", Start::Oldest).unwrap();
        let t = tls::client_config(&[] as &[&str], &[]).unwrap();
        let url = format!("ws://127.0.0.1:{}/v1/order/events", s.addr().port());
        let protocol = GeminiPrivate::new(creds("mdbus-sim-secret"), GeminiAccountDecoder::new(7));
        let mut stream = GeminiAccountStream::new(&url, protocol, writer, t.clone());
        stream.poll().unwrap();
        // The REST client's nonces (ms) must pass the stream's.
        std::thread::sleep(Duration::from_millis(5));
        let base = format!("http://127.0.0.1:{}", s.addr().port());
        let mut c = gemini::GeminiClient::new(&base, t.clone(), creds("mdbus-sim-secret")).unwrap();
        let Placed::Accepted(_) = c
            .place(
                &NewOrder::limit("BTCUSD", Side::Buy, "0.5".parse().unwrap(), "60000".parse().unwrap())
                    .client_order_id("gemrest1"),
            )
            .unwrap()
        else {
            panic!()
        };
        c.cancel("BTCUSD", OrderRef::Client("gemrest1")).unwrap();
        let seen = super::account_records(&mut stream, &mut reader, 3);
        let st = |x: OrderStatus| format!("{x:?}");
        // accepted, booked, cancelled.
        assert_eq!(
            seen,
            [
                format!("order gemrest1 {} 7 50000000", st(OrderStatus::NEW)),
                format!("order gemrest1 {} 7 50000000", st(OrderStatus::NEW)),
                format!("order gemrest1 {} 7 50000000", st(OrderStatus::CANCELED)),
            ]
        );
        assert_eq!((stream.stats().connects, stream.stats().decode_errors), (1, 0));

        let w2 = dir.writer("bad.account", Kind::ORDER, &RingOptions::default().capacity(64)).unwrap();
        let bad_protocol = GeminiPrivate::new(creds("wrong-secret"), GeminiAccountDecoder::new(0));
        let mut bad = GeminiAccountStream::new(&url, bad_protocol, w2, t);
        let err = bad.poll().unwrap_err();
        assert!(
            matches!(err, AccountStreamError::Venue(Error::Authentication { code: ErrorCode::InvalidSignature, .. })),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?} {bad:?}").contains("wrong-secret"));
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

/// HTX, Gate.io and Gemini order clients against the simulator's order endpoints for them.
mod htx_gate_gemini {
    use std::time::Duration;

    use mdbus_sdk::{
        credentials::Credentials,
        error::{Error, ErrorCode},
        order::{NewOrder, OrderClient, OrderRef, OrderStatus, Placed, Side},
        tls,
    };
    use mdbus_sim::{Sim, exchange::ExchangeConfig};
    use mdbus_venues::{gate::order as gate, gemini::order as gemini, htx::order as htx};

    use super::sim;

    /// Each client with the symbol it trades, as its venue spells it.
    fn clients(s: &Sim, secret: &str) -> Vec<(Box<dyn OrderClient>, &'static str)> {
        let url = format!("http://127.0.0.1:{}", s.addr().port());
        let t = || tls::client_config(&[] as &[&str], &[]).unwrap();
        let c = || Credentials::new("mdbus-sim-key", secret, None).unwrap();
        vec![
            (Box::new(htx::HtxClient::new(&url, t(), c()).unwrap()), "btcusdt"),
            (Box::new(gate::GateClient::new(&url, t(), c()).unwrap()), "BTC_USDT"),
            (Box::new(gemini::GeminiClient::new(&url, t(), c()).unwrap()), "BTCUSD"),
        ]
    }

    fn limit(symbol: &str, qty: &str, px: &str) -> NewOrder {
        NewOrder::limit(symbol, Side::Buy, qty.parse().unwrap(), px.parse().unwrap())
    }

    fn accepted(p: Placed) -> mdbus_sdk::order::OrderState {
        match p {
            Placed::Accepted(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn place_query_cancel_list_and_balances() {
        let s = sim(ExchangeConfig::default(), false);
        for (mut c, symbol) in clients(&s, "mdbus-sim-secret") {
            let name = format!("{c:?}");
            assert!(c.sync_time().unwrap().abs() < 1000, "{name}");
            let a = accepted(c.place(&limit(symbol, "0.01", "60000")).unwrap());
            assert!(!a.order_id.is_empty() && a.client_order_id.starts_with("mdbus-"), "{name}: {a:?}");
            let q = c.query(symbol, OrderRef::Client(&a.client_order_id)).unwrap();
            assert_eq!(
                (q.status, q.order_id.as_str(), q.qty.to_string().as_str(), q.price.to_string().as_str()),
                (OrderStatus::New, a.order_id.as_str(), "0.01", "60000"),
                "{name}"
            );
            assert_eq!(c.query(symbol, OrderRef::Venue(&a.order_id)).unwrap().client_order_id, a.client_order_id);
            let b = accepted(
                c.place(
                    &NewOrder::post_only(symbol, Side::Sell, "1".parse().unwrap(), "70000".parse().unwrap())
                        .client_order_id("mdbusb2"),
                )
                .unwrap(),
            );
            assert_eq!(b.client_order_id, "mdbusb2", "{name}");
            assert_eq!(c.open_orders(Some(symbol)).unwrap().len(), 2, "{name}");
            let cancelled = c.cancel(symbol, OrderRef::Client("mdbusb2")).unwrap();
            assert_eq!((cancelled.status, cancelled.order_id.as_str()), (OrderStatus::Canceled, b.order_id.as_str()));
            assert_eq!(c.open_orders(None).unwrap().len(), 1, "{name}");
            assert!(c.cancel(symbol, OrderRef::Client("mdbusb2")).is_err(), "{name}: cancelled twice");
            let err = c.query(symbol, OrderRef::Client("never")).unwrap_err();
            assert!(matches!(err, Error::OrderNotFound { .. }), "{name}: {err:?}");
            let c2 = c.cancel(symbol, OrderRef::Venue(&a.order_id)).unwrap();
            assert_eq!(c2.status, OrderStatus::Canceled, "{name}");
            let bal = c.balances().unwrap();
            assert!(
                bal.iter().any(|b| (b.asset == "USDT" || b.asset == "USD") && b.free.to_string() == "99000"),
                "{name}: {bal:?}"
            );
            assert!(matches!(c.positions(), Err(Error::NotSupported { .. })), "{name}");
        }
        // Gemini takes limit orders only: a market order is refused before anything is sent.
        let before = s.exchange().orders_received();
        let (mut g, symbol) = clients(&s, "mdbus-sim-secret").pop().unwrap();
        let err = g.place(&NewOrder::market(symbol, Side::Buy, "1".parse().unwrap())).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOrderType, "{err:?}");
        assert_eq!(s.exchange().orders_received(), before);
    }

    #[test]
    fn bad_signatures_are_auth_errors() {
        let s = sim(ExchangeConfig::default(), false);
        for (mut c, symbol) in clients(&s, "wrong-secret") {
            let err = c.place(&limit(symbol, "1", "1")).unwrap_err();
            assert!(err.is_auth(), "{c:?}: {err:?}");
            assert!(!format!("{err:?} {c:?}").contains("wrong-secret"));
        }
        assert_eq!(s.exchange().orders_placed(), 0);
    }

    #[test]
    fn lost_responses_are_resolved_without_a_second_order() {
        let s = sim(ExchangeConfig { drop_response_every: 1, ..ExchangeConfig::default() }, false);
        for (i, (mut c, symbol)) in clients(&s, "mdbus-sim-secret").into_iter().enumerate() {
            let cid = format!("lost{i}");
            let o = accepted(c.place(&limit(symbol, "1", "100").client_order_id(&cid)).unwrap());
            assert_eq!((o.client_order_id.as_str(), o.status), (cid.as_str(), OrderStatus::New), "{c:?}");
            assert_eq!(s.exchange().orders_received(), i as u64 + 1, "{c:?}: sent once");
        }
        assert_eq!(s.exchange().orders_placed(), 3);
    }

    #[test]
    fn rate_limits_are_waited_out() {
        let cfg =
            ExchangeConfig { order_limit: 1, order_window: Duration::from_millis(300), ..ExchangeConfig::default() };
        let s = sim(cfg, false);
        for (mut c, symbol) in clients(&s, "mdbus-sim-secret") {
            let before = s.exchange().orders_placed();
            for px in ["100", "101"] {
                accepted(c.place(&limit(symbol, "1", px)).unwrap());
            }
            assert_eq!(s.exchange().orders_placed() - before, 2, "{c:?}");
        }
        assert!(s.exchange().orders_received() > 6, "each client met the limit");
    }
}
