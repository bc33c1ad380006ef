//! Running programs, with the command line shown and failures explained.

use crate::Result;
use std::path::Path;
use std::process::{Command, Stdio};

/// A command with the environment every Buoy build needs: worker-build
/// must use our wasm-bindgen, wasm-opt and esbuild (it would download them
/// otherwise), and wrangler must not call home.
pub fn command(program: &str, args: &[&str]) -> Command {
    let root = crate::root();
    let bin = root.join("node_modules/.bin");
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(&root)
        .env("WASM_BINDGEN_BIN", "wasm-bindgen")
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"))
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("WRANGLER_HIDE_BANNER", "true");
    c
}

/// A program from `node_modules/.bin`.
pub fn node_bin(name: &str, args: &[&str]) -> Command {
    let path = crate::root().join("node_modules/.bin").join(name);
    command(&path.to_string_lossy(), args)
}

/// Runs a command to completion, failing when it fails.
pub fn run(c: &mut Command) -> Result {
    let shown = show(c);
    println!("$ {shown}");
    let status = c.status().map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// What a command prints on standard output, or `None` when it cannot
/// run or fails (used to ask whether a tool is installed).
pub fn probe(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn show(c: &Command) -> String {
    let mut shown = c.get_program().to_string_lossy().into_owned();
    for arg in c.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a file (and its folder), naming it in the error.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))
}

/// `n` random bytes as lowercase hex, from the kernel.
pub fn random_hex(n: usize) -> Result<String> {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
