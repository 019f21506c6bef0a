//! `mdbus bench all`: every benchmark in one go, each run as its own `mdbus bench ...` process
//! (so no benchmark warms or disturbs the next), assembled into one Markdown document with the
//! machine description and each command line, in the shape of BENCHMARKS.md's tables.

use std::{io::Write, path::Path, process::Command};

/// One benchmark to run: a heading and the arguments after `mdbus bench`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Section heading.
    pub title: String,
    /// Arguments after `mdbus bench`.
    pub args: Vec<String>,
}

fn step(title: &str, args: &[&str]) -> Step {
    Step { title: title.to_owned(), args: args.iter().map(|a| (*a).to_owned()).collect() }
}

/// The benchmarks, in BENCHMARKS.md's order. `quick` shrinks every count to a smoke run (for
/// tests and a first look; its figures are not for reporting).
pub fn plan(quick: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    if quick {
        steps
            .push(step("mdbus bench ring", &["ring", "--samples", "20000", "--records", "200000", "--warmup", "2000"]));
        steps.push(step("mdbus bench decode", &["decode", "--iters", "2000"]));
    } else {
        steps.push(step("mdbus bench ring", &["ring"]));
        steps.push(step("mdbus bench decode", &["decode"]));
    }
    // The default venue's decode ran above; then every other venue's.
    for v in mdbus_venues::bench::DECODE.into_iter().skip(1) {
        let title = format!("mdbus bench decode --venue {v}");
        let mut s = Step { title, args: vec!["decode".into(), "--venue".into(), v.into()] };
        if quick {
            s.args.extend(["--iters".into(), "2000".into()]);
        }
        steps.push(s);
    }
    if quick {
        steps.push(step("mdbus bench limiter", &["limiter", "--iters", "20000"]));
        steps.push(step("mdbus bench sign", &["sign", "--iters", "2000"]));
        steps.push(step("mdbus bench order", &["order", "--orders", "50"]));
        steps.push(step("mdbus bench e2e", &["e2e", "--seconds", "1"]));
    } else {
        steps.push(step("mdbus bench limiter", &["limiter"]));
        steps.push(step("mdbus bench sign", &["sign"]));
        steps.push(step("mdbus bench order", &["order"]));
        steps.push(step("mdbus bench e2e", &["e2e"]));
        steps.push(step("mdbus bench e2e --venues all", &["e2e", "--venues", "all"]));
    }
    steps
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A few lines on the machine: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpu = read("/proc/cpuinfo");
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "- CPU: {model}, {cores} cores available\n- memory: {mem}\n- kernel: {}\n- mdbus {}",
        kernel.trim(),
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs every step with the `mdbus` binary at `exe`, writing the document to `out` as it goes
/// and naming each step on `progress`. Returns the titles of the steps that failed.
///
/// # Errors
///
/// When `out` cannot be written.
pub fn run(
    exe: &Path,
    steps: &[Step],
    out: &mut dyn Write,
    progress: &mut dyn FnMut(&str),
) -> std::io::Result<Vec<String>> {
    writeln!(out, "# mdbus benchmarks\n")?;
    writeln!(out, "Made by `mdbus bench all`: each benchmark below ran as its own process, in this order.\n")?;
    writeln!(out, "{}\n", machine())?;
    let mut failed = Vec::new();
    for s in steps {
        progress(&s.title);
        writeln!(out, "## {}\n\n```sh\nmdbus bench {}\n```\n", s.title, s.args.join(" "))?;
        match Command::new(exe).arg("bench").args(&s.args).output() {
            Ok(o) if o.status.success() => writeln!(out, "{}", String::from_utf8_lossy(&o.stdout).trim_end())?,
            Ok(o) => {
                failed.push(s.title.clone());
                writeln!(out, "failed ({}):\n\n```\n{}\n```", o.status, String::from_utf8_lossy(&o.stderr).trim_end())?;
            }
            Err(e) => {
                failed.push(s.title.clone());
                writeln!(out, "could not start: {e}")?;
            }
        }
        writeln!(out)?;
        out.flush()?;
    }
    Ok(failed)
}
