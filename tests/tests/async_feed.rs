//! The venue feed protocol from async code (the SDK's `async` feature): futures that complete
//! when the feed's own thread has the answer, driven here by a minimal executor to show no
//! runtime is needed.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::{
    future::Future,
    pin::pin,
    sync::Arc,
    task::{Context, Poll, Wake, Waker},
    thread::Thread,
    time::Duration,
};

use mdbus_sdk::{
    credentials::Credentials,
    error::Error,
    nonblocking::AsyncFeed,
    order::{NewOrder, OrderRef, OrderStatus, Placed, Side},
    registry::{Capability, FeedOptions, Registry},
};
use mdbus_sim::{Sim, SimConfig};

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `f` to completion on this thread, parking between polls.
fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Polls both futures until both are done (they run at the same time on the feed's thread
/// queue, as two awaits in a `join!` would).
fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut ra, mut rb) = (None, None);
    block_on(std::future::poll_fn(move |cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() { Poll::Ready((ra.take().unwrap(), rb.take().unwrap())) } else { Poll::Pending }
    }))
}

#[test]
fn market_data_and_orders_as_futures_on_any_executor() {
    let sim =
        Sim::start(SimConfig { max_ticks: Some(400), ..mdbus_venues::sim_config(mdbus_venues::binance::sim::SIM) })
            .unwrap();
    assert!(sim.wait_quiet(Duration::from_secs(30)), "the simulated market goes quiet");
    let registry = Registry::new();
    mdbus_venues::register_feeds(&registry).unwrap();
    let creds = Credentials::new("mdbus-sim-key", "mdbus-sim-secret", None).unwrap();
    let opts = FeedOptions::default().param("rest_url", &format!("http://{}", sim.addr())).credentials(creds);
    let feed = AsyncFeed::new(registry.create("BINANCE___SPOT", &opts).unwrap());
    assert_eq!(feed.key(), "BINANCE___SPOT");
    assert!(feed.capabilities().contains(Capability::MakeOrder));
    assert!(!block_on(feed.is_connected()).unwrap());
    block_on(feed.connect()).unwrap();
    assert!(block_on(feed.is_connected()).unwrap());

    let (q, d) = join(feed.ticker("BTCUSDT"), feed.depth("BTCUSDT", 5));
    let (q, d) = (q.unwrap(), d.unwrap());
    let book = sim.book("BTCUSDT").unwrap();
    assert_eq!(((q.bid_px, q.bid_qty), (d.asks[0].price, d.asks[0].qty)), (book.bids[0], book.asks[0]));
    let (t, k) = join(feed.trades("BTCUSDT", 10), feed.klines("BTCUSDT", "1m", 2));
    assert_eq!(t.unwrap().len(), 10);
    assert!(!k.unwrap().is_empty());
    assert_eq!(block_on(feed.instruments()).unwrap().len(), 2);
    // Errors come back typed, as from the blocking calls.
    assert!(matches!(block_on(feed.ticker("NOPE")), Err(Error::InvalidSymbol { .. })));

    let order = NewOrder::limit("BTCUSDT", Side::Buy, "0.01".parse().unwrap(), "60000".parse().unwrap());
    let Placed::Accepted(o) = block_on(feed.place_order(&order)).unwrap() else { panic!("not accepted") };
    let q = block_on(feed.query_order("BTCUSDT", OrderRef::Client(&o.client_order_id))).unwrap();
    assert_eq!(q.status, OrderStatus::New);
    assert_eq!(block_on(feed.open_orders(None)).unwrap().len(), 1);
    let c = block_on(feed.cancel_order("BTCUSDT", OrderRef::Venue(&o.order_id))).unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    assert!(!block_on(feed.balances()).unwrap().is_empty());
    assert!(matches!(block_on(feed.positions()), Err(Error::NotSupported { capability: Capability::GetPosition, .. })));
    block_on(feed.disconnect()).unwrap();
    assert!(!block_on(feed.is_connected()).unwrap());
}

#[test]
fn a_reply_whose_feed_thread_ended_says_so() {
    // A feed whose thread dies on its first call: the pending reply reports it instead of
    // hanging.
    #[derive(Debug)]
    struct Dies;
    impl mdbus_sdk::registry::VenueFeed for Dies {
        fn key(&self) -> &str {
            "DIES___SPOT"
        }
        fn capabilities(&self) -> mdbus_sdk::registry::Capabilities {
            [Capability::GetTick].into_iter().collect()
        }
        fn ticker(&mut self, _: &str) -> Result<mdbus_schemas::Quote, Error> {
            panic!("the feed's thread ends here");
        }
    }
    let feed = AsyncFeed::new(Box::new(Dies));
    let first = block_on(feed.ticker("X"));
    assert!(matches!(first, Err(Error::QueueNotInitialized { .. })), "{first:?}");
    let later = block_on(feed.is_connected());
    assert!(matches!(later, Err(Error::QueueNotInitialized { .. })), "{later:?}");
}
