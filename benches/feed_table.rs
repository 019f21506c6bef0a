//! What the book table adds to the feeder's per-frame work, in one run: Binance spot
//! `depthUpdate` frames (3 level changes each) through `Feed::on_frame` (decode, book, publish)
//! without a table and with a top-20 table; then a top-20 read's p50 and p99 while a writer on
//! the other core rewrites the book once a microsecond.
//!
//! Run: `cargo bench --locked -p mdbus-benches --bench feed_table`.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mdbus_bus::{BookCopy, BookState, BookTable, BookTableWriter, BookUpdate, HeapRing};
use mdbus_feeder::{Feed, Levels, Rings};
use mdbus_schemas::{Instrument, InstrumentId, Kind, Nanos, Symbol, VenueId};

fn feed(table: Option<&std::path::Path>) -> (Feed, Vec<HeapRing>) {
    let inst =
        vec![Instrument::new(InstrumentId(1), VenueId::BINANCE_SPOT, Symbol::new("BTCUSDT").expect("symbol"), -2, -5)];
    let mk = |k| HeapRing::create(k, 1 << 16).expect("ring");
    let (q, qr) = mk(Kind::QUOTE);
    let (t, tr) = mk(Kind::TRADE);
    let (b, br) = mk(Kind::BOOK_DELTA);
    let (d, dr) = mk(Kind::BOOK_SNAPSHOT);
    let (bars, barr) = mk(Kind::BAR);
    let mut f = Feed::new(mdbus_venues::BINANCE_SPOT, inst, Rings { quotes: q, trades: t, book: b, depth: d, bars });
    if let Some(p) = table {
        f.set_book_table(BookTableWriter::create(p, &[InstrumentId(1)], 20).expect("table"));
    }
    let dec = |s: &str| s.parse().expect("decimal");
    let levels = Levels {
        bids: (0..40).map(|i| (dec(&format!("{}.00", 30_000 - i)), dec("1.00000"))).collect(),
        asks: (0..40).map(|i| (dec(&format!("{}.00", 30_001 + i)), dec("1.00000"))).collect(),
    };
    assert!(f.on_rest_snapshot("BTCUSDT", 1000, &levels, Nanos(1)).expect("snapshot"));
    (f, vec![qr, tr, br, dr, barr])
}

/// Frames continuing update id `from`: each changes three levels near the top.
fn frames(from: u64, n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let u = from + i + 1;
            format!(
                r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{u},"u":{u},"b":[["{}.00","{}.00000"],["{}.00","0.50000"]],"a":[["{}.00","2.00000"]]}}"#,
                29_990 + u % 10,
                1 + u % 3,
                29_980 + u % 7,
                30_001 + u % 9
            )
            .into_bytes()
        })
        .collect()
}

fn per_frame(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("mdbus-bench-feed-table-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut g = c.benchmark_group("feed_depth_frame");
    for (name, table) in [("no_table", None), ("table_top20", Some(dir.join("t.books")))] {
        let (mut f, _rings) = feed(table.as_deref());
        let mut next = 1000u64;
        g.bench_function(BenchmarkId::new("binance_depth_update", name), |b| {
            b.iter_custom(|iters| {
                let batch = frames(next, iters);
                next += iters;
                let start = Instant::now();
                for fr in &batch {
                    let _ = f.on_frame(std::hint::black_box(fr), Nanos(2));
                }
                start.elapsed()
            })
        });
        assert!(f.book(0).expect("book").is_live(), "{name}: every frame applied");
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// p50 and p99 of a top-20 read on one core while a writer on the other core rewrites the
/// book once a microsecond.
fn read_under_writer(_c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("mdbus-bench-read-{}", std::process::id()));
    let path = dir.join("r.books");
    let w = BookTableWriter::create(&path, &[InstrumentId(1)], 20).expect("table");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let writer = std::thread::spawn(move || {
        let _ = core_affinity::set_for_current(core_affinity::CoreId { id: 0 });
        let bids: Vec<(i64, i64)> = (0..20).map(|i| (1_000_000 - i, 1)).collect();
        let asks: Vec<(i64, i64)> = (0..20).map(|i| (1_000_001 + i, 1)).collect();
        let mut k = 0u64;
        // One update a microsecond: a book busier than any venue's. A writer rewriting the slot
        // back to back, with no gap at all, would starve readers (a seqlock's nature).
        let mut due = Instant::now();
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            due += Duration::from_micros(1);
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            k += 1;
            w.update(
                0,
                &BookUpdate {
                    state: BookState::Live,
                    venue_seq: k,
                    ring_seq: k,
                    venue_ts: Nanos(k),
                    recv_ts: Nanos(k),
                    publish_ts: Nanos(k),
                    bids: Some(&bids),
                    asks: Some(&asks),
                },
            );
        }
    });
    let _ = core_affinity::set_for_current(core_affinity::CoreId { id: 1 });
    let t = BookTable::open(&path).expect("open");
    let mut copy = BookCopy::default();
    let mut samples = Vec::with_capacity(1_000_000);
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        let a = Instant::now();
        let ok = t.read_at(0, &mut copy);
        let ns = a.elapsed().as_nanos() as u64;
        if ok {
            samples.push(ns);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = writer.join();
    samples.sort_unstable();
    let q = |p: f64| samples.get(((samples.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
    println!(
        "book_table/read_top20_under_writer: {} reads, p50 {} ns, p99 {} ns, p99.9 {} ns (Instant-timed, includes ~20 ns of clock reads)",
        samples.len(),
        q(0.50),
        q(0.99),
        q(0.999)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, per_frame, read_under_writer);
criterion_main!(benches);
