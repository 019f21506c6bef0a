//! Ring hot paths on one thread: what a publish and a read cost without any contention.

use criterion::{Criterion, criterion_group, criterion_main};
use mdbus_bus::{HeapRing, ReadError, Start};
use mdbus_schemas::{BookDelta, Kind, Nanos, Quote};

fn publish(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring");
    // 64-byte records (book deltas: one cache line).
    let (mut w, _ring) = HeapRing::create(Kind::BOOK_DELTA, 4096).expect("ring");
    let t = BookDelta { price: 1, qty: 2, ..BookDelta::default() };
    g.bench_function("publish_delta_clock", |b| b.iter(|| w.publish(std::hint::black_box(&t))));
    g.bench_function("publish_delta_at", |b| b.iter(|| w.publish_at(std::hint::black_box(&t), Nanos(1))));
    let (mut wq, _ringq) = HeapRing::create(Kind::QUOTE, 4096).expect("ring");
    let q = Quote::default();
    g.bench_function("publish_quote_at", |b| b.iter(|| wq.publish_at(std::hint::black_box(&q), Nanos(1))));
    g.finish();
}

fn read(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring");
    let (mut w, ring) = HeapRing::create(Kind::BOOK_DELTA, 1 << 16).expect("ring");
    let mut r = ring.reader_at(Start::Head);
    let t = BookDelta::default();
    g.bench_function("publish_then_read_delta", |b| {
        b.iter(|| {
            let _ = w.publish_at(&t, Nanos(1));
            match r.try_read() {
                Ok(rec) => std::hint::black_box(rec.seq()),
                Err(ReadError::Empty | ReadError::Overrun { .. }) => 0,
            }
        })
    });
    g.finish();
}

criterion_group!(benches, publish, read);
criterion_main!(benches);
