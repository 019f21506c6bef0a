//! Event bus modes: callbacks and queues, the three error modes, thread safety.

#![allow(clippy::unwrap_used)]

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use mdbus_sdk::{
    error::{Error, ErrorCode},
    event_bus::{BusError, ErrorMode, EventBus, Severity},
};

fn failing(bus: &EventBus<String>, seen: &Arc<Mutex<Vec<&'static str>>>) {
    let s = Arc::clone(seen);
    bus.on("order", move |_: &String| {
        s.lock().unwrap().push("a");
        Ok(())
    })
    .unwrap();
    let s = Arc::clone(seen);
    bus.on("order", move |_: &String| {
        s.lock().unwrap().push("b");
        Err("b broke".into())
    })
    .unwrap();
    let s = Arc::clone(seen);
    bus.on("order", move |_: &String| {
        s.lock().unwrap().push("c");
        Err(Box::new(Error::InvalidSymbol { venue: "V___X".into(), symbol: "ZZZ".into(), detail: String::new() }))
    })
    .unwrap();
}

#[test]
fn raise_stops_at_the_first_failure() {
    let bus = EventBus::new(ErrorMode::Raise);
    let seen = Arc::new(Mutex::new(Vec::new()));
    failing(&bus, &seen);
    let err = bus.emit("order", &"o1".to_owned()).unwrap_err();
    assert!(matches!(&err, BusError::Handler { topic, .. } if topic == "order"), "{err}");
    assert!(err.to_string().contains("b broke"));
    assert_eq!(*seen.lock().unwrap(), ["a", "b"]);
}

#[test]
fn collect_runs_everyone_and_returns_the_failures() {
    let bus = EventBus::new(ErrorMode::Collect);
    let seen = Arc::new(Mutex::new(Vec::new()));
    failing(&bus, &seen);
    let d = bus.emit("order", &"o1".to_owned()).unwrap();
    assert_eq!((d.delivered, d.failed, d.errors.len()), (1, 2, 2));
    assert_eq!(*seen.lock().unwrap(), ["a", "b", "c"]);
    assert_eq!(Severity::of(&d.errors[0].1), Severity::System);
    assert_eq!(Severity::of(&d.errors[1].1), Severity::User);
}

#[test]
fn log_runs_everyone_and_reports_to_the_sink() {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&logged);
    let bus = EventBus::new(ErrorMode::Log)
        .with_sink(move |topic, sev, err| l.lock().unwrap().push(format!("{topic} {sev:?} {err}")));
    let seen = Arc::new(Mutex::new(Vec::new()));
    failing(&bus, &seen);
    let d = bus.emit("order", &"o1".to_owned()).unwrap();
    assert_eq!((d.delivered, d.failed), (1, 2));
    assert!(d.errors.is_empty(), "log mode does not hand errors back");
    let logged = logged.lock().unwrap();
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0], "order System b broke");
    assert!(logged[1].starts_with("order User "), "{}", logged[1]);
    let business = Error::Venue {
        venue: "V___X".into(),
        code: ErrorCode::InternalError,
        status: None,
        venue_code: String::new(),
        detail: String::new(),
    };
    assert_eq!(Severity::of(&(Box::new(business) as _)), Severity::Business);
}

#[test]
fn queues_receive_and_count_drops_when_full() {
    let bus: EventBus<u32> = EventBus::default();
    let (id, rx) = bus.subscribe_queue("tick", 2).unwrap();
    for i in 0..5 {
        bus.emit("tick", &i).unwrap();
    }
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(bus.dropped(id), 3);
    drop(rx);
    let d = bus.emit("tick", &9).unwrap();
    assert_eq!(d.dropped, 1, "a dropped receiver counts as a drop, not an error");
}

#[test]
fn prefix_topics_off_and_validation() {
    let bus: EventBus<u8> = EventBus::new(ErrorMode::Collect);
    let n = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&n);
    let id = bus
        .on("ws.*", move |_| {
            m.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    for t in ["ws.connected", "ws.disconnected", "order"] {
        bus.emit(t, &0).unwrap();
    }
    assert_eq!(n.load(Ordering::Relaxed), 2);
    assert!(bus.has_subscribers("ws.reconnecting") && !bus.has_subscribers("order"));
    assert!(bus.off(id));
    assert!(!bus.off(id));
    assert_eq!(bus.emit("ws.connected", &0).unwrap().delivered, 0);
    assert!(matches!(bus.on("", |_| Ok(())), Err(BusError::EmptyTopic)));
    assert!(matches!(bus.subscribe_queue("x", 0), Err(BusError::ZeroCapacity)));
    bus.on("a", |_| Ok(())).unwrap();
    bus.on("a", |_| Ok(())).unwrap();
    assert_eq!(bus.off_topic("a"), 2);
}

#[test]
fn callbacks_may_subscribe_while_being_called_and_threads_share_the_bus() {
    let bus: Arc<EventBus<u64>> = Arc::new(EventBus::new(ErrorMode::Raise));
    let b2 = Arc::clone(&bus);
    bus.on("spawn", move |_| b2.on("child", |_| Ok(())).map(|_| ()).map_err(|e| e.into())).unwrap();
    bus.emit("spawn", &1).unwrap();
    assert!(bus.has_subscribers("child"));

    let total = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&total);
    bus.on("n", move |v| {
        t.fetch_add(*v as usize, Ordering::Relaxed);
        Ok(())
    })
    .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let bus = Arc::clone(&bus);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    bus.emit("n", &1).unwrap();
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(total.load(Ordering::Relaxed), 4000);
}
