//! Installs what is missing, and nothing that is already there: a second
//! run only asks each tool its version.

use crate::cmd::{self, probe};
use crate::Result;
use std::path::Path;

/// What the caller is about to do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Need {
    /// Build the worker and the widget.
    Build,
    /// Build, and run the browser tests too.
    Everything,
    /// Everything, and benchmark (load generator `wrk`, `taskset`).
    Bench,
}

/// The version of a package in `Cargo.lock`.
fn locked_version(name: &str) -> Result<String> {
    let lock = cmd::read(&crate::root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"')) {
                return Ok(version.to_owned());
            }
        }
    }
    Err(format!("{name} is not in Cargo.lock"))
}

fn cargo_install(krate: &str, version: &str, locked: bool) -> Result {
    println!("installing {krate} {version} (a few minutes, once)");
    let mut args = vec!["install", krate, "--version", version];
    // wasm-bindgen-cli's lock file names a webpki-roots version the
    // registry no longer has, so it installs without --locked.
    if locked {
        args.push("--locked");
    }
    cmd::run(&mut cmd::command("cargo", &args))
}

fn is_root() -> bool {
    probe("id", &["-u"]).is_some_and(|uid| uid.trim() == "0")
}

/// Makes sure every tool the build (and, for [`Need::Everything`], the
/// tests) needs is installed, at the pinned version.
///
/// # Errors
/// When an install fails, or needs root and we are not root.
pub fn ensure(need: Need) -> Result {
    let installed = probe("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        cmd::run(&mut cmd::command("rustup", &["target", "add", "wasm32-unknown-unknown"]))?;
    }

    let bindgen = locked_version("wasm-bindgen")?;
    let have = probe("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(bindgen.as_str()) || probe("wasm-bindgen-test-runner", &["--version"]).is_none() {
        cargo_install("wasm-bindgen-cli", &bindgen, false)?;
    }

    let workers = locked_version("worker")?;
    let have = probe("worker-build", &["--version"]).unwrap_or_default();
    if have.trim() != workers {
        cargo_install("worker-build", &workers, true)?;
    }

    let root = crate::root();
    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if probe("node", &["--version"]).is_none() {
        return Err("Node.js 20 or newer is needed (wrangler runs on it): apt-get install nodejs npm".into());
    }
    if modified(&stamp).is_none() || modified(&stamp) < modified(&lock) {
        cmd::run(&mut cmd::command("npm", &["ci", "--no-audit", "--no-fund"]))?;
    }

    // Debian's packages the tests (and the benchmarks) run, by the file each installs.
    let mut packages = Vec::new();
    if need != Need::Build {
        packages.extend([("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver")]);
    }
    if need == Need::Bench {
        packages.extend([("/usr/bin/wrk", "wrk"), ("/usr/bin/taskset", "util-linux")]);
    }
    let missing: Vec<&str> = packages.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, package)| *package).collect();
    if !missing.is_empty() {
        if !is_root() {
            return Err(format!("these Debian packages are needed: sudo apt-get install {}", missing.join(" ")));
        }
        cmd::run(&mut cmd::command("apt-get", &["update"]))?;
        let mut args = vec!["install", "-y", "--no-install-recommends"];
        args.extend(&missing);
        cmd::run(cmd::command("apt-get", &args).env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    Ok(())
}
