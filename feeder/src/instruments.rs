//! Instrument metadata from the venue: the feeder takes each symbol's price and quantity
//! exponents from the venue's tick and lot sizes (through the SDK's venue feeds, the same
//! REST code a strategy uses), and a watch thread reloads them on a schedule, or at once when
//! values stop fitting, so a precision change is noticed while the feed runs.
//!
//! Off the frame path: loads are blocking REST calls on the watch's own thread.

use std::{collections::BTreeMap, time::Duration};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use mdbus_sdk::{
    market::InstrumentInfo,
    registry::{FeedOptions, Registry, VenueFeed},
};

use crate::venue::Venue;

/// The registry key of the SDK feed that reads `venue`'s instrument metadata.
pub fn registry_key(venue: Venue) -> &'static str {
    venue.registry_key()
}

/// The venue's exponents by symbol (upper-cased: venues differ in case, never in meaning).
pub type Exponents = BTreeMap<String, (i8, i8)>;

/// A metadata source for `venue` at `rest_url` (the venue's own when `None`), trusting
/// `extra_pem` besides the web roots.
///
/// # Errors
///
/// A message naming what is wrong with the URL or TLS setup.
pub fn source(venue: Venue, rest_url: Option<&str>, extra_pem: &[String]) -> Result<Box<dyn VenueFeed>, String> {
    let registry = Registry::new();
    venue.register_feeds(&registry).map_err(|e| e.to_string())?;
    let mut opts = FeedOptions::default();
    if let Some(url) = rest_url {
        opts = opts.param("rest_url", url);
    }
    if !extra_pem.is_empty() {
        opts = opts.param("extra_pem", &extra_pem.concat());
    }
    registry.create(registry_key(venue), &opts).map_err(|e| e.to_string())
}

/// Loads the venue's instruments and their exponents.
///
/// # Errors
///
/// The venue's or the network's error, as text.
pub fn load(feed: &mut dyn VenueFeed) -> Result<Exponents, String> {
    feed.connect().map_err(|e| e.to_string())?;
    let infos: Vec<InstrumentInfo> = feed.instruments().map_err(|e| e.to_string())?;
    Ok(infos.iter().map(|i| (i.symbol.to_ascii_uppercase(), (i.price_exp(), i.qty_exp()))).collect())
}

/// The exponents of `symbol` in `exps`.
pub fn lookup(exps: &Exponents, symbol: &str) -> Option<(i8, i8)> {
    exps.get(&symbol.to_ascii_uppercase()).copied()
}

/// The shortest time between two loads a caller asks for with [`Watch::refresh_now`].
const MIN_SPACING: Duration = Duration::from_secs(2);

/// A thread that reloads a venue's instrument metadata every `period` and when asked.
#[derive(Debug)]
pub struct Watch {
    loads: Receiver<Result<Exponents, String>>,
    now: Sender<()>,
}

impl Watch {
    /// Starts the thread; it ends when the watch is dropped.
    pub fn start(mut feed: Box<dyn VenueFeed>, period: Duration) -> Watch {
        let (tx, loads) = crossbeam_channel::unbounded();
        let (now, asked) = crossbeam_channel::unbounded::<()>();
        std::thread::spawn(move || {
            let mut last = std::time::Instant::now();
            loop {
                match asked.recv_timeout(period) {
                    Err(RecvTimeoutError::Disconnected) => break,
                    Ok(()) => {
                        // Requests that queued while loading count as one.
                        while asked.try_recv().is_ok() {}
                        let since = last.elapsed();
                        if since < MIN_SPACING {
                            std::thread::sleep(MIN_SPACING - since);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
                last = std::time::Instant::now();
                if tx.send(load(feed.as_mut())).is_err() {
                    break;
                }
            }
        });
        Watch { loads, now }
    }

    /// Asks for a load now (values stopped fitting the exponents).
    pub fn refresh_now(&self) {
        let _ = self.now.send(());
    }

    /// The latest load, if one arrived since the last call.
    pub fn latest(&self) -> Option<Result<Exponents, String>> {
        let mut out = None;
        while let Ok(l) = self.loads.try_recv() {
            out = Some(l);
        }
        out
    }
}
