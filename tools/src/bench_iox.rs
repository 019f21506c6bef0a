//! iceoryx2 publish-subscribe between two processes, as a further peer of `mdbus bench ring`.
//! Built only with the `iceoryx2` feature, so the normal build does not compile iceoryx2.
//!
//! Documented basic API: `NodeBuilder` → `service_builder` → `publish_subscribe`, publisher
//! `loan_uninit` → `write_payload` → `send`, subscriber busy-polling `receive`. Latency runs use
//! safe overflow (the publisher never blocks, like the mdbus ring); throughput runs are lossless
//! (`RetryUntilDelivered`), iceoryx2's fastest delivery mode.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use iceoryx2::prelude::*;
use serde_json::{Value, json};

use crate::{
    bench::{BenchConfig, BenchError, Measured},
    stats::{Summary, new_histogram},
};

type Payload = [u64; 8];

/// Sequence number that tells the reader to stop.
const END: u64 = u64::MAX;

type Factory = iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, Payload, ()>;

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Child(format!("iceoryx2: {e}"))
}

fn service(node: &Node<ipc::Service>, name: &str, lossless: bool, cap: usize) -> Result<Factory, BenchError> {
    let name: ServiceName = name.try_into().map_err(err)?;
    node.service_builder(&name)
        .publish_subscribe::<Payload>()
        .max_publishers(1)
        .max_subscribers(2)
        .history_size(0)
        .subscriber_max_buffer_size(cap)
        .subscriber_max_borrowed_samples(2)
        .enable_safe_overflow(!lossless)
        .open_or_create()
        .map_err(err)
}

fn one_run(
    cfg: &BenchConfig,
    exe: &Path,
    npt: f64,
    lossless: bool,
    total: u64,
    paced: bool,
) -> Result<Value, BenchError> {
    set_log_level(LogLevel::Error);
    let name = format!("mdbus-bench/{}/{}", std::process::id(), if lossless { "tput" } else { "lat" });
    let cap = cfg.capacity as usize;
    let node = NodeBuilder::new().create::<ipc::Service>().map_err(err)?;
    let svc = service(&node, &name, lossless, cap)?;
    let publisher = svc
        .publisher_builder()
        .max_loaned_samples(2)
        .backpressure_strategy(if lossless {
            BackpressureStrategy::RetryUntilDelivered
        } else {
            BackpressureStrategy::DiscardData
        })
        .create()
        .map_err(err)?;
    let mut child = Command::new(exe)
        .args(["internal", "iox-reader", "--name", &name, "--core", &cfg.reader_core.to_string()])
        .args(["--warmup", &cfg.warmup.to_string(), "--ns-per-tick", &npt.to_string(), "--capacity", &cap.to_string()])
        .args(if lossless { ["--lossless"].as_slice() } else { [].as_slice() })
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or_else(|| BenchError::Child("no stdout".into()))?);
    let mut line = String::new();
    lines.read_line(&mut line)?;
    if line.trim() != "ready" {
        return Err(BenchError::Child(format!("iceoryx2 reader said {line:?}")));
    }
    let period = (cfg.period_ns as f64 / npt) as u64;
    let mut next = mdbus_bus::tsc();
    let t0 = Instant::now();
    for i in 0..total {
        if paced {
            next += period;
            while mdbus_bus::tsc() < next {
                std::hint::spin_loop();
            }
        }
        let s = publisher.loan_uninit().map_err(err)?;
        s.write_payload([i, mdbus_bus::tsc(), 0, 0, 0, 0, 0, 0]).send().map_err(err)?;
    }
    let writer_s = t0.elapsed().as_secs_f64();
    // The end marker may be discarded by a full queue in overflow mode: repeat it until the
    // reader has gone.
    loop {
        let s = publisher.loan_uninit().map_err(err)?;
        s.write_payload([END, 0, 0, 0, 0, 0, 0, 0]).send().map_err(err)?;
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    line.clear();
    lines.read_line(&mut line)?;
    let mut v: Value = serde_json::from_str(line.trim()).map_err(|e| BenchError::Child(format!("{line:?}: {e}")))?;
    v["writer_mrec_s"] = json!(total as f64 / writer_s / 1e6);
    Ok(v)
}

/// iceoryx2 between this process (publisher) and a subscriber process: latency, then
/// throughput (at most 2 M records: it moves a few million records per second here).
///
/// # Errors
///
/// When iceoryx2 or the subscriber process fails.
pub fn peer(cfg: &BenchConfig, exe: &Path, npt: f64) -> Result<Measured, BenchError> {
    let lat = one_run(cfg, exe, npt, false, cfg.warmup + cfg.samples, true)?;
    let records = cfg.records.min(2_000_000);
    let tp = one_run(cfg, exe, npt, true, records, false)?;
    let g = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    Ok(Measured {
        floor: Summary::default(),
        latency: Summary::from_json(&lat["latency"]),
        mrec_s: if g(&tp, "elapsed_ns") > 0.0 { g(&tp, "received") / g(&tp, "elapsed_ns") * 1e3 } else { 0.0 },
        lost: g(&tp, "lost") as u64,
        writer_mrec_s: g(&tp, "writer_mrec_s"),
    })
}

/// Body of the iceoryx2 subscriber process (`mdbus internal iox-reader`).
///
/// # Errors
///
/// When iceoryx2 fails or stdout cannot be written.
pub fn reader(name: &str, core: usize, warmup: u64, npt: f64, cap: usize, lossless: bool) -> Result<(), BenchError> {
    set_log_level(LogLevel::Error);
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
    let node = NodeBuilder::new().create::<ipc::Service>().map_err(err)?;
    let svc = service(&node, name, lossless, cap)?;
    let sub = svc.subscriber_builder().buffer_size(cap).create().map_err(err)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let mut h = new_histogram();
    let (mut received, mut lost, mut last) = (0u64, 0u64, None::<u64>);
    let mut first: Option<Instant> = None;
    loop {
        let Some(sample) = sub.receive().map_err(err)? else {
            std::hint::spin_loop();
            continue;
        };
        let p: Payload = *sample;
        let now = mdbus_bus::tsc();
        drop(sample);
        if p[0] == END {
            break;
        }
        first.get_or_insert_with(Instant::now);
        received += 1;
        if let Some(l) = last {
            lost += p[0].saturating_sub(l + 1);
        }
        last = Some(p[0]);
        if p[0] >= warmup && p[1] != 0 {
            let _ = h.record((now.saturating_sub(p[1]) as f64 * npt) as u64);
        }
    }
    let elapsed_ns = first.map_or(0, |t| t.elapsed().as_nanos() as u64);
    writeln!(
        out,
        "{}",
        json!({ "latency": Summary::of(&h).to_json(), "received": received, "lost": lost, "elapsed_ns": elapsed_ns })
    )?;
    Ok(())
}
