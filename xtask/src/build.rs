//! Release artifacts: the static site (loader, widget page, wasm) in
//! `dist/site/`, the worker in `dist/worker/` (or the test worker, built
//! from the tests' configuration, in `dist/test-worker/`).

use crate::cmd::{self, command, node_bin};
use crate::Result;
use buoy_shared::messages::{text, Locale, MessageId};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which worker to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `buoy.toml` compiled into the worker.
    pub config: PathBuf,
    /// Where worker-build writes, relative to the repository root.
    pub worker_out: &'static str,
    /// A cargo target folder of its own, so that switching between the
    /// development and the test configuration does not rebuild.
    pub target_dir: Option<PathBuf>,
}

impl Options {
    /// The worker of `buoy.toml`, as deployed and as `cargo xtask dev` runs it.
    pub fn dev() -> Self {
        Self { config: crate::root().join("buoy.toml"), worker_out: "dist/worker", target_dir: None }
    }

    /// The worker of `tests/buoy.toml`, which lets any loopback port embed
    /// the demo site (the tests serve it on a free port).
    pub fn test() -> Self {
        let root = crate::root();
        Self { config: root.join("tests/buoy.toml"), worker_out: "dist/test-worker", target_dir: Some(root.join("target/test-worker")) }
    }
}

/// Where the build put things.
#[derive(Debug, Clone)]
pub struct Built {
    /// The static assets folder.
    pub site: PathBuf,
    /// The worker's entry module.
    pub worker_main: PathBuf,
}

/// Builds the site and the worker.
///
/// # Errors
/// When a build step fails.
pub fn all(options: &Options) -> Result<Built> {
    let site = site()?;
    let worker_main = worker(options)?;
    Ok(Built { site, worker_main })
}

/// A JavaScript string literal for `value`.
fn js_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The loader with the catalog's strings filled in.
fn render_loader(source: &str) -> Result<String> {
    let rendered = source.replace("__BUOY_LAUNCHER_LABEL__", &js_string(text(Locale::En, MessageId::LauncherLabel)));
    if rendered.contains("__BUOY_") {
        return Err("www/buoy.js names a catalog string the build does not fill".into());
    }
    Ok(rendered)
}

fn esbuild(input: &str, args: &[&str]) -> Result<String> {
    let mut c = node_bin("esbuild", args);
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::inherit());
    let mut child = c.spawn().map_err(|e| format!("esbuild: {e} (run `cargo xtask setup`)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).map_err(|e| format!("esbuild: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("esbuild: {e}"))?;
    if !out.status.success() {
        return Err(format!("esbuild {} failed", args.join(" ")));
    }
    String::from_utf8(out.stdout).map_err(|_| "esbuild printed something that is not UTF-8".into())
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if source.is_dir() {
            copy_tree(&source, &target, &[])?;
        } else {
            let bytes = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
            cmd::write(&target, bytes)?;
        }
    }
    Ok(())
}

/// Builds `dist/site/`: `www/` (less the demo host page), the loader with
/// its strings, minified CSS, and the widget's glue and wasm.
///
/// # Errors
/// When a build step fails.
pub fn site() -> Result<PathBuf> {
    let root = crate::root();
    let site = root.join("dist/site");
    if site.exists() {
        std::fs::remove_dir_all(&site).map_err(|e| format!("{}: {e}", site.display()))?;
    }
    copy_tree(&root.join("www"), &site, &["demo"])?;

    let loader = render_loader(&cmd::read(&root.join("www/buoy.js"))?)?;
    cmd::write(&site.join("buoy.js"), esbuild(&loader, &["--minify", "--loader=js", "--target=es2019", "--legal-comments=none"])?)?;
    let css = cmd::read(&root.join("www/widget/app.css"))?;
    cmd::write(&site.join("widget/app.css"), esbuild(&css, &["--minify", "--loader=css"])?)?;

    cmd::run(&mut command("cargo", &["build", "--release", "--package", "buoy-widget", "--target", "wasm32-unknown-unknown"]))?;
    let raw = root.join("target/wasm32-unknown-unknown/release/buoy_widget.wasm");
    let out = root.join("target/widget-bindgen");
    cmd::run(&mut command(
        "wasm-bindgen",
        &["--target", "web", "--no-typescript", "--out-name", "app", "--out-dir", &out.to_string_lossy(), &raw.to_string_lossy()],
    ))?;
    let wasm_out = site.join("widget/app_bg.wasm");
    cmd::run(&mut node_bin(
        "wasm-opt",
        &[
            "-Oz",
            "--strip-debug",
            "--strip-producers",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            &out.join("app_bg.wasm").to_string_lossy(),
            "-o",
            &wasm_out.to_string_lossy(),
        ],
    ))?;
    // The glue exports an init function; calling it at the end of the
    // module saves a bootstrap file and a request (no inline script is
    // allowed on the widget page).
    let glue = cmd::read(&out.join("app.js"))?;
    if !glue.contains("export { initSync, __wbg_init as default };") {
        return Err("wasm-bindgen's glue changed shape: update the init call in xtask/src/build.rs".into());
    }
    let glue = glue + "\nawait __wbg_init();\n";
    cmd::write(
        &site.join("widget/app.js"),
        esbuild(&glue, &["--minify", "--loader=js", "--format=esm", "--target=es2022", "--legal-comments=none"])?,
    )?;
    Ok(site)
}

/// Builds the worker with worker-build, compiling in `options.config`.
///
/// # Errors
/// When the configuration is invalid or a build step fails.
pub fn worker(options: &Options) -> Result<PathBuf> {
    let root = crate::root();
    let out = format!("../{}", options.worker_out);
    let mut c = command("worker-build", &["--release", "--out-dir", &out]);
    c.current_dir(root.join("worker")).env("BUOY_CONFIG", &options.config);
    if let Some(dir) = &options.target_dir {
        c.env("CARGO_TARGET_DIR", dir);
    }
    cmd::run(&mut c)?;
    Ok(root.join(options.worker_out).join("index.js"))
}

/// Raw, gzip and brotli sizes of some files, added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    /// Bytes as stored.
    pub raw: usize,
    /// Bytes after gzip -9.
    pub gzip: usize,
    /// Bytes after brotli -q 11.
    pub brotli: usize,
    /// How many files (requests).
    pub files: usize,
}

/// The weight of these files.
///
/// # Errors
/// When a file cannot be read.
pub fn weigh(files: &[PathBuf]) -> Result<Weight> {
    let mut weight = Weight::default();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params).map_err(|e| e.to_string())?;
        weight.raw += bytes.len();
        weight.gzip += gz.len();
        weight.brotli += br.len();
        weight.files += 1;
    }
    Ok(weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_strings_are_escaped() {
        assert_eq!(js_string("Help"), "\"Help\"");
        assert_eq!(js_string("a\"b\\c</script>\n"), "\"a\\\"b\\\\c\\u003c/script>\\u000a\"");
    }

    #[test]
    fn the_loader_gets_its_label_from_the_catalog() {
        let rendered = render_loader("x = __BUOY_LAUNCHER_LABEL__;").unwrap_or_default();
        assert_eq!(rendered, "x = \"Help\";");
        assert!(render_loader("__BUOY_UNKNOWN__").is_err());
    }
}
