//! Validates `buoy.toml` with `buoy-shared` and compiles it into the
//! worker: a bad file fails the build with the field named.
//!
//! `BUOY_CONFIG` names another file (the end-to-end tests use their own).

use buoy_shared::config::Config;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=BUOY_CONFIG");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let path = std::env::var_os("BUOY_CONFIG").map_or_else(|| manifest.join("../buoy.toml"), PathBuf::from);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    let config = Config::from_toml(&text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    let json = serde_json::to_string(&config).unwrap_or_else(|e| fail(&e.to_string()));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let out = out_dir.join("config.json");
    std::fs::write(&out, json).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
}

fn fail(message: &str) -> ! {
    // A build script fails by exiting non-zero; cargo shows what it printed.
    eprintln!("error: invalid Buoy configuration: {message}");
    std::process::exit(1)
}
