//! Child process of the multi-process tests: a ring writer or a checking ring reader.
//!
//! `ring-child write PATH CAPACITY COUNT PACE_NS` publishes COUNT test records (COUNT 0: until
//! killed), pacing PACE_NS between records, then one end record.
//! `ring-child read PATH UNTIL_SEQ|end` reads from the oldest record until its position passes
//! UNTIL_SEQ (or it sees the end record) and prints a JSON report.

use std::{
    io::Write,
    time::{Duration, Instant},
};

use mdbus_bus::{ReadError, Reader, RingOptions, Start, Writer};
use mdbus_schemas::{Kind, Marker, MarkerCode, Trade};
use mdbus_tests::{END_FLAG, intact, record};

fn arg(args: &[String], i: usize) -> &str {
    args.get(i).map_or("", String::as_str)
}

fn num(args: &[String], i: usize) -> u64 {
    arg(args, i).parse().unwrap_or_else(|_| {
        eprintln!("argument {i} must be a number");
        std::process::exit(2)
    })
}

fn write(args: &[String]) {
    let opts = RingOptions::default().capacity(num(args, 3));
    let mut w = match Writer::open_or_create(arg(args, 2), Kind::TRADE, &opts) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("writer: {e}");
            std::process::exit(1)
        }
    };
    let (count, pace) = (num(args, 4), num(args, 5));
    let start = Instant::now();
    let mut i = 0u64;
    while count == 0 || i < count {
        if pace > 0 {
            let due = Duration::from_nanos(i * pace);
            while start.elapsed() < due {
                std::hint::spin_loop();
            }
        }
        let _ = w.publish(&record(i, 0));
        i += 1;
    }
    let _ = w.publish(&record(i, END_FLAG));
}

fn read(args: &[String]) {
    let mut r = match Reader::open_at(arg(args, 2), Start::Oldest) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reader: {e}");
            std::process::exit(1)
        }
    };
    let until = arg(args, 3).parse::<u64>().ok();
    println!("ready");
    let _ = std::io::stdout().flush();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut received, mut lost, mut torn, mut out_of_order) = (0u64, 0u64, 0u64, 0u64);
    let mut expected = r.position();
    let mut generations = Vec::new();
    let mut timed_out = false;
    loop {
        if until.is_some_and(|u| r.position() > u) {
            break;
        }
        match r.try_read() {
            Ok(rec) => {
                received += 1;
                if rec.seq() != expected {
                    out_of_order += 1;
                }
                expected = rec.seq() + 1;
                if let Some(m) = rec.get::<Marker>() {
                    if m.code == MarkerCode::WRITER_STARTED {
                        generations.push(m.detail);
                    }
                } else if let Some(t) = rec.get::<Trade>() {
                    if !intact(t) {
                        torn += 1;
                    }
                    if until.is_none() && t.header.flags == END_FLAG {
                        break;
                    }
                } else {
                    torn += 1;
                }
            }
            Err(ReadError::Overrun { lost: l }) => {
                lost += l;
                expected += l;
            }
            Err(ReadError::Empty) => {
                if Instant::now() > deadline {
                    timed_out = true;
                    break;
                }
                std::hint::spin_loop();
            }
        }
    }
    let report = serde_json::json!({
        "received": received, "lost": lost, "torn": torn, "out_of_order": out_of_order,
        "position": r.position(), "generations": generations, "timed_out": timed_out,
    });
    println!("{report}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match arg(&args, 1) {
        "write" => write(&args),
        "read" => read(&args),
        other => {
            eprintln!("unknown mode {other:?}: use write or read");
            std::process::exit(2)
        }
    }
}
