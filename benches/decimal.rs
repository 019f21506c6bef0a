//! Decimal parsing as decoders use it: venue text straight to a record mantissa.

use criterion::{Criterion, criterion_group, criterion_main};
use mdbus_schemas::{Decimal, parse_fixed};

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("decimal");
    g.bench_function("parse_fixed_price", |b| b.iter(|| parse_fixed(std::hint::black_box(b"65432.10"), -2)));
    g.bench_function("parse_fixed_qty_8dp", |b| b.iter(|| parse_fixed(std::hint::black_box(b"0.00123400"), -8)));
    g.bench_function("parse_exponent", |b| b.iter(|| Decimal::parse(std::hint::black_box(b"1.3700544510935929e+26"))));
    g.bench_function("format", |b| {
        let d = Decimal::new(123_456_789, -8);
        b.iter(|| std::hint::black_box(d).to_string())
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
