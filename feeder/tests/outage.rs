//! A feed restarted on the rings an earlier run left marks the hole: an `outage` marker per
//! instrument in every ring, from when the earlier writer was last active to the restart.

#![allow(clippy::unwrap_used)]

use mdbus_bus::{Reader, RingDir, Start};
use mdbus_feeder::{Feed, engine};
use mdbus_schemas::{Instrument, InstrumentId, Marker, MarkerCode, RecordView, Symbol, Trade, VenueId};

fn instruments() -> Vec<Instrument> {
    ["BTCUSDT", "ETHUSDT"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Instrument::new(InstrumentId(i as u32 + 1), VenueId::BINANCE_SPOT, Symbol::new(s).unwrap(), -2, -5)
        })
        .collect()
}

fn outages(dir: &RingDir, ring: &str) -> Vec<Marker> {
    let mut r = Reader::open_at(dir.ring_path(ring).unwrap(), Start::Oldest).unwrap();
    let mut out = Vec::new();
    while let Ok(rec) = r.try_read() {
        if let Ok(RecordView::Marker(m)) = rec.view()
            && m.code == MarkerCode::OUTAGE
        {
            out.push(*m);
        }
    }
    out
}

#[test]
fn a_feed_restarted_on_its_rings_marks_the_hole_per_instrument() {
    let p = std::env::temp_dir().join(format!("mdbus-feed-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    let dir = RingDir::new(&p);
    // A first run: fresh rings, no outage to report.
    let mut rings = engine::rings(&dir, "f", 1024).unwrap();
    rings.trades.publish(&Trade::default()).unwrap();
    let mut feed = Feed::new(mdbus_venues::BINANCE_SPOT, instruments(), rings);
    feed.report_outage();
    assert!(outages(&dir, "f.trade").is_empty());
    drop(feed);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // The restart.
    let mut feed = Feed::new(mdbus_venues::BINANCE_SPOT, instruments(), engine::rings(&dir, "f", 1024).unwrap());
    feed.report_outage();
    for ring in ["f.quote", "f.trade", "f.book", "f.depth", "f.bar"] {
        let got = outages(&dir, ring);
        let ids: Vec<u32> = got.iter().map(|m| m.header.instrument.0).collect();
        assert_eq!(ids, [1, 2], "{ring}: one per instrument");
        for m in &got {
            assert!(m.header.venue_ts.0 > 0 && m.header.venue_ts < m.header.recv_ts, "{ring}: {m:?}");
            assert!(m.detail >= 20_000_000, "{ring}: the hole lasted the restart's 20 ms: {}", m.detail);
            assert_eq!(m.detail, m.header.recv_ts.0 - m.header.venue_ts.0);
        }
    }
    drop(feed);
    let _ = std::fs::remove_dir_all(&p);
}
