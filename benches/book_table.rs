//! The book table's costs on one thread: what the feeder adds per book update (a top-20 write
//! into the instrument's seqlock slot) and what a reader pays for one consistent top-20 copy.
//!
//! Run: `cargo bench --locked -p mdbus-benches --bench book_table`.

use criterion::{Criterion, criterion_group, criterion_main};
use mdbus_bus::{BookCopy, BookState, BookTable, BookTableWriter, BookUpdate};
use mdbus_schemas::{InstrumentId, Nanos};

fn table(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("mdbus-bench-books-{}", std::process::id()));
    let path = dir.join("bench.books");
    let ids: Vec<InstrumentId> = (1..=8).map(InstrumentId).collect();
    let w = BookTableWriter::create(&path, &ids, 20).expect("table");
    let bids: Vec<(i64, i64)> = (0..20).map(|i| (1_000_000 - i, 100 + i)).collect();
    let asks: Vec<(i64, i64)> = (0..20).map(|i| (1_000_001 + i, 100 + i)).collect();
    let mut k = 0u64;
    let mut g = c.benchmark_group("book_table");
    g.bench_function("update_top20", |b| {
        b.iter(|| {
            k += 1;
            w.update(
                3,
                std::hint::black_box(&BookUpdate {
                    state: BookState::Live,
                    venue_seq: k,
                    ring_seq: k,
                    venue_ts: Nanos(k),
                    recv_ts: Nanos(k),
                    publish_ts: Nanos(k),
                    bids: Some(&bids),
                    asks: Some(&asks),
                }),
            );
        })
    });
    let t = BookTable::open(&path).expect("open");
    let mut copy = BookCopy::default();
    g.bench_function("read_top20", |b| b.iter(|| t.read_at(3, std::hint::black_box(&mut copy))));
    g.finish();
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, table);
criterion_main!(benches);
