//! `cargo xtask <command>`: Buoy's one way to set up, build, run and test.
//!
//! - `dev`: install what is missing, build, serve the worker on
//!   127.0.0.1:8787 and the demo host page on 127.0.0.1:8788.
//! - `test`: every check: format, lints (host and wasm32), docs, host
//!   tests, browser tests, the size budget, end to end under workerd.
//!   `test --e2e [FILE…]` builds and runs only the end-to-end suite (or
//!   the named files of `tests/e2e/`), for quick turns while developing.
//! - `bench`: figures for the widget (beside real peers) and the worker
//!   (beside a JavaScript reference), in `target/bench/results.json`;
//!   `bench --metrics` only the metrics call over 10,000 and 100,000 tickets;
//!   `bench --widgets` only the widgets in the browser; `bench --soak
//!   [--soak-minutes M]` Buoy's worker and the JS reference under a steady
//!   load for ten minutes (or M), memory over time; `bench --workers` only
//!   the worker figures (throughput, KV operations, CPU per request beside
//!   the JS reference); `bench --opt-levels` the worker built at each
//!   opt-level, measured for size and CPU; `bench --profile [ENDPOINT]`
//!   a CPU profile of one endpoint (`create` unless named) under workerd.
//! - `build`: the release artifacts into `dist/` (wrangler's `[build]`);
//!   `build --site` only the test site (under `target/test-sites/`), and
//!   its weight against the budgets.
//! - `setup`: only install what is missing.
//! - `seed-demo [--tickets N]`: fill the local KV `dev` serves with 90 days
//!   of simulated tickets (replacing the previous seed), for the console's
//!   Metrics.
//! - `demo-server --port P --worker URL`: only the demo host page.

// A command-line tool: printing to the terminal is its job.
#![allow(clippy::print_stdout)]

mod bench;
mod build;
mod cmd;
mod dev;
mod reindex;
mod seed;
mod serve;
mod setup;
mod test;
// The docs' checks are host tests only: they run with the workspace's.
#[cfg(test)]
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

/// The repository root (this crate's parent folder).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// What an xtask step fails with: a message for the person at the terminal.
pub type Result<T = ()> = std::result::Result<T, String>;

fn usage() -> String {
    "usage: cargo xtask <dev | test [--e2e [FILE…]] | bench [--report | --metrics | --search | --uploads | --widgets [--runs N] | --soak [--soak-minutes M] | --workers | --opt-levels | --profile [ENDPOINT]] | build [--site] | setup | seed-demo [--tickets N] | reindex [--url URL] | demo-server --port P --worker URL>".into()
}

/// The value after `name` among `args`, when `valid`; `default` when
/// `name` is not there; `error` when its value is missing or not valid.
fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T, valid: impl Fn(&T) -> bool, error: &str) -> Result<T> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args.get(i + 1).and_then(|v| v.parse::<T>().ok()).filter(valid).ok_or_else(|| error.into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(),
        Some("test") if args.get(1).is_some_and(|a| a == "--e2e") => test::end_to_end_only(&args[2..]),
        Some("test") => test::run(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--report") => bench::report(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--metrics") => bench::metrics_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--search") => bench::search_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--uploads") => bench::uploads_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--widgets") => {
            flag(&args[2..], "--runs", bench::RUNS, |n| *n > 0, "--runs takes a number of runs, at least 1").and_then(bench::widgets_only)
        }
        Some("bench") if args.get(1).is_some_and(|a| a.starts_with("--soak")) => flag(
            &args[1..],
            "--soak-minutes",
            bench::SOAK_MINUTES,
            |m: &f64| m.is_finite() && *m > 0.0,
            "--soak-minutes takes a positive number of minutes",
        )
        .and_then(bench::soak),
        Some("bench") if args.get(1).is_some_and(|a| a == "--workers") => bench::workers_only(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--opt-levels") => bench::opt_levels(),
        Some("bench") if args.get(1).is_some_and(|a| a == "--profile") => match args.get(2).map_or("create", String::as_str) {
            endpoint if bench::PROFILE_ENDPOINTS.contains(&endpoint) => bench::profile(endpoint),
            other => Err(format!("--profile takes one of {}, not {other}", bench::PROFILE_ENDPOINTS.join(", "))),
        },
        Some("bench") => bench::run(),
        Some("build") if args.get(1).is_some_and(|a| a == "--site") => setup::ensure(setup::Need::Build)
            .and_then(|()| build::site(&build::Options::test()))
            .and_then(|site| test::size_budget(&site))
            .map(|_| ()),
        Some("build") => setup::ensure(setup::Need::Build).and_then(|()| build::all(&build::Options::dev()).map(|_| ())),
        Some("setup") => setup::ensure(setup::Need::Everything),
        Some("seed-demo") => seed::run(&args[1..]),
        Some("reindex") => reindex::run(&args[1..]),
        Some("demo-server") => demo_server(&args[1..]),
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn demo_server(args: &[String]) -> Result {
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let port: u16 = value("--port").and_then(|p| p.parse().ok()).ok_or_else(usage)?;
    let worker = value("--worker").ok_or_else(usage)?;
    let server = serve::DemoServer::start(port, &worker)?;
    println!("demo host page: {}", server.url());
    server.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn a_flag_takes_its_value_its_default_when_absent_and_refuses_a_bad_one() {
        let args = |list: &[&str]| list.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        let minutes = |list: &[&str]| flag(&args(list), "--soak-minutes", 10.0, |m: &f64| *m > 0.0, "bad");
        assert_eq!(minutes(&["--soak"]), Ok(10.0));
        assert_eq!(minutes(&["--soak", "--soak-minutes", "2"]), Ok(2.0));
        assert_eq!(minutes(&["--soak-minutes", "0.5"]), Ok(0.5));
        for bad in [&["--soak-minutes"][..], &["--soak-minutes", "two"], &["--soak-minutes", "0"], &["--soak-minutes", "-1"]] {
            assert_eq!(minutes(bad), Err("bad".to_owned()), "{bad:?}");
        }
    }
}
