//! A subscriber hears of its writer's outage: dead (from the lock), restarted (with how long
//! nothing was published), also when it was lapped past the new writer's start marker; and a
//! feeder restarted on its rings marks the hole per instrument.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mdbus_bus::{RingDir, RingOptions, Start};
use mdbus_schemas::{Kind, Trade};
use mdbus_sdk::subscriber::{Event, Subscriber, WriterState};

fn dir(tag: &str) -> RingDir {
    let p = std::env::temp_dir().join(format!("mdbus-outage-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    RingDir::new(p)
}

/// Every event up to the first empty poll, as text.
fn drain(sub: &mut Subscriber) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = sub.poll().unwrap() {
        out.push(match e {
            Event::Record { view, .. } => format!("record {:?}", view.header().kind),
            Event::Lost { lost } => format!("lost {lost}"),
            Event::WriterRestarted { generation, down } => format!("restarted {generation} {}", down.is_some()),
            _ => "other".into(),
        });
    }
    out
}

#[test]
fn a_dead_writer_and_its_restart_are_told_with_the_time_nothing_was_published() {
    let d = dir("restart");
    let o = RingOptions::default().capacity(64);
    let mut w = d.writer("f.trade", Kind::TRADE, &o).unwrap();
    let mut sub = Subscriber::open_in(&d, "f.trade", Start::Oldest).unwrap();
    w.publish(&Trade::default()).unwrap();
    assert_eq!(drain(&mut sub).len(), 2, "start marker and a trade");
    assert_eq!(sub.writer_state(), WriterState::Alive);
    drop(w);
    assert!(matches!(sub.writer_state(), WriterState::Dead { .. }), "{:?}", sub.writer_state());
    std::thread::sleep(Duration::from_millis(30));
    let mut w = d.writer("f.trade", Kind::TRADE, &o).unwrap();
    assert!(w.previous_active().is_some(), "the new writer knows when the old one was last active");
    w.publish(&Trade::default()).unwrap();
    let mut got = None;
    while let Some(e) = sub.poll().unwrap() {
        if let Event::WriterRestarted { generation, down } = e {
            got = Some((generation, down));
        }
    }
    let (generation, down) = got.expect("a restart event");
    assert_eq!(generation, 2);
    assert!(down.unwrap() >= Duration::from_millis(30), "{down:?}");
    assert_eq!(sub.writer_state(), WriterState::Alive);
    let _ = std::fs::remove_dir_all(d.path());
}

#[test]
fn a_subscriber_lapped_past_the_restart_marker_still_hears_of_the_restart() {
    let d = dir("lapped");
    let o = RingOptions::default().capacity(16);
    let mut w = d.writer("f.trade", Kind::TRADE, &o).unwrap();
    let mut sub = Subscriber::open_in(&d, "f.trade", Start::Oldest).unwrap();
    w.publish(&Trade::default()).unwrap();
    drain(&mut sub);
    drop(w);
    let mut w = d.writer("f.trade", Kind::TRADE, &o).unwrap();
    for _ in 0..100 {
        w.publish(&Trade::default()).unwrap();
    }
    let events = drain(&mut sub);
    assert!(events[0].starts_with("lost "), "{events:?}");
    assert_eq!(events[1], "restarted 2 false", "{events:?}");
    // A lapped reader resumes an eighth of the ring clear of the writer: 14 of the 16 slots.
    assert_eq!(events.len(), 2 + 14, "{events:?}");
    let _ = std::fs::remove_dir_all(d.path());
}
