//! Servers for development and tests: the worker under `wrangler dev`
//! (workerd), and the demo host page on a second origin.

use crate::cmd;
use crate::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The worker origin the demo page names; the demo server rewrites it to
/// the worker it stands beside.
pub const DEV_WORKER_ORIGIN: &str = "http://127.0.0.1:8787";

/// A free loopback port (never 8787 or 8788, which belong to `cargo xtask dev`).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> Result<u16> {
    for _ in 0..20 {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        if port != 8787 && port != 8788 {
            return Ok(port);
        }
    }
    Err("no free port".into())
}

/// The status code of `GET path` on a loopback port, if anything answers.
pub fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The `send_email` binding a worker whose `buoy.toml` has a site with
/// email needs (`buoy_worker::mail_out::MAIL_BINDING`).
pub const SEND_EMAIL_BLOCK: &str = "[[send_email]]\nname = \"BUOY_MAIL\"\n";

/// The R2 bucket binding a worker whose `buoy.toml` has a site with
/// attachments needs (`buoy_worker::files::BUCKET_BINDING`).
pub const R2_BLOCK: &str = "[[r2_buckets]]\nbinding = \"BUOY_FILES\"\nbucket_name = \"buoy-files\"\n";

/// The D1 database of the ticket word index (`buoy_worker::search::BINDING`).
/// Opt-in for a deployment; development and the tests always have it
/// (wrangler keeps the database in its state folder).
pub const D1_BLOCK: &str = "[[d1_databases]]\nbinding = \"BUOY_SEARCH\"\ndatabase_name = \"buoy-search\"\n";

/// The bindings a build's `buoy.toml` asks for beyond those every worker has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// A site with email: the `send_email` binding.
    pub send_email: bool,
    /// A site with attachments: the R2 bucket.
    pub files: bool,
}

/// Writes a copy of `wrangler.toml` for a build that is already done: no
/// `[build]` section, absolute paths to the worker and the assets, the
/// `send_email` binding when `needs` says so (a worker without email runs
/// without it), and the R2 bucket exactly when `needs` says so (locally,
/// wrangler keeps its files in the run's state folder).
///
/// # Errors
/// When `wrangler.toml` does not have the lines this rewrites.
pub fn wrangler_config(into: &Path, worker_main: &Path, site: &Path, needs: Needs) -> Result<PathBuf> {
    let source = cmd::read(&crate::root().join("wrangler.toml"))?;
    let mut out = String::new();
    let (mut in_build, mut in_bucket) = (false, false);
    let (mut main_done, mut assets_done) = (false, false);
    for line in source.lines() {
        if line.starts_with('[') {
            in_build = line.trim() == "[build]";
            in_bucket = line.trim() == "[[r2_buckets]]";
        }
        if in_build || in_bucket {
            continue;
        }
        if line.starts_with("main = ") {
            out.push_str(&format!("main = {:?}\n", worker_main.display().to_string()));
            main_done = true;
        } else if line.starts_with("simple = { limit = ") {
            // Local runs (dev, tests, benchmarks) send far more from one
            // address than a person would: the abuse limits are raised.
            out.push_str("simple = { limit = 1000000, period = 60 }\n");
        } else if line.starts_with("directory = ") {
            out.push_str(&format!("directory = {:?}\n", site.display().to_string()));
            assets_done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !(main_done && assets_done) {
        return Err("wrangler.toml needs a `main = ` line and a `directory = ` line under [assets]".into());
    }
    if needs.send_email && !crate::build::has_send_email(&out) {
        out.push('\n');
        out.push_str(SEND_EMAIL_BLOCK);
    }
    if needs.files {
        out.push('\n');
        out.push_str(R2_BLOCK);
    }
    if !crate::build::has_search(&out) {
        out.push('\n');
        out.push_str(D1_BLOCK);
    }
    let path = into.join("wrangler.toml");
    cmd::write(&path, out)?;
    Ok(path)
}

/// `wrangler dev` running the worker under workerd.
#[derive(Debug)]
pub struct Wrangler {
    child: Child,
    group: bool,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its inspector's port on 127.0.0.1 (the worker isolate's DevTools
    /// protocol: the soak reads the isolate's JS heap there).
    pub inspector: u16,
}

/// How to start `wrangler dev`.
#[derive(Debug)]
pub struct WranglerOptions<'a> {
    /// The build-less config from [`wrangler_config`].
    pub config: &'a Path,
    /// The port to serve on.
    pub port: u16,
    /// Where local KV lives.
    pub persist_to: &'a Path,
    /// Variables passed with `--var` (they override `.dev.vars`).
    pub vars: Vec<(String, String)>,
    /// A dotenv file of secrets.
    pub env_file: Option<&'a Path>,
    /// Where its output goes; the terminal when `None`.
    pub log: Option<&'a Path>,
    /// Serve `/__scheduled?cron=…`, which runs the cron handler (the SLA sweep) now.
    pub test_scheduled: bool,
    /// Pin it (and workerd) to this CPU core (benchmarks).
    pub pin_cpu: Option<u16>,
    /// Run it in a process group of its own (tests), so that stopping it
    /// by PID stops workerd and esbuild too. In development it shares the
    /// terminal's group, so Ctrl-C reaches every process at once.
    pub own_group: bool,
}

impl Wrangler {
    /// Starts `wrangler dev`.
    ///
    /// # Errors
    /// When it cannot start.
    pub fn start(options: &WranglerOptions<'_>) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        let inspector_port = free_port()?;
        let inspector = inspector_port.to_string();
        let port = options.port.to_string();
        let wrangler = crate::root().join("node_modules/.bin/wrangler").to_string_lossy().into_owned();
        let core = options.pin_cpu.map(|c| c.to_string());
        let mut c = match &core {
            Some(core) => cmd::command("taskset", &["-c", core, &wrangler]),
            None => cmd::command(&wrangler, &[]),
        };
        c.args([
            "dev",
            "--config",
            &options.config.to_string_lossy(),
            "--ip",
            "127.0.0.1",
            "--port",
            &port,
            "--inspector-port",
            &inspector,
            "--persist-to",
            &options.persist_to.to_string_lossy(),
            "--show-interactive-dev-session=false",
        ]);
        for (name, value) in &options.vars {
            c.arg("--var").arg(format!("{name}:{value}"));
        }
        if options.test_scheduled {
            c.arg("--test-scheduled");
        }
        if let Some(env_file) = options.env_file {
            c.arg("--env-file").arg(env_file);
        }
        if let Some(log) = options.log {
            let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = file.try_clone().map_err(|e| e.to_string())?;
            c.stdout(file).stderr(err);
        }
        c.stdin(Stdio::null());
        if options.own_group {
            c.process_group(0);
        }
        let child = c.spawn().map_err(|e| format!("could not start wrangler: {e} (run `cargo xtask setup`)"))?;
        Ok(Self { child, group: options.own_group, port: options.port, inspector: inspector_port })
    }

    /// The PID of the `wrangler` process (its group's leader when started in its own group).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its origin.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until the worker serves the loader.
    ///
    /// # Errors
    /// When wrangler exits or nothing answers within `limit`.
    pub fn wait_ready(&mut self, limit: Duration) -> Result {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler exited early ({status})"));
            }
            if get_status(self.port, "/buoy.js") == Some(200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("the worker did not answer on port {} within {limit:?}", self.port))
    }

    /// Waits for wrangler to exit by itself (development: until Ctrl-C).
    pub fn wait(mut self) {
        let _ = self.child.wait();
    }
}

impl Drop for Wrangler {
    /// Stops wrangler's whole process group by its PID: SIGTERM, then
    /// SIGKILL if it lingers.
    fn drop(&mut self) {
        let pid = self.child.id();
        let group = if self.group { format!("-{pid}") } else { pid.to_string() };
        let _ = std::process::Command::new("kill").args(["-TERM", "--", &group]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// A static server for host pages on their own origin: the demo host page
/// (a customer's site embedding the widget exactly as the README says,
/// under a strict CSP that allows only the worker's origin for scripts and
/// frames), and the benchmarks' host pages (no CSP: peers need inline styles).
#[derive(Debug)]
pub struct DemoServer {
    port: u16,
    thread: std::thread::JoinHandle<()>,
}

/// What a [`DemoServer`] serves, and how.
#[derive(Debug, Clone)]
struct Site {
    docs: PathBuf,
    worker: String,
    strict_csp: bool,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn respond(mut stream: TcpStream, site: &Site) {
    let (docs, worker) = (&site.docs, site.worker.as_str());
    let mut head = [0u8; 4096];
    let n = stream.read(&mut head).unwrap_or(0);
    let request = String::from_utf8_lossy(&head[..n]);
    let path = request.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/").to_owned();
    let relative = if path.ends_with('/') { format!("{path}index.html") } else { path };
    let safe = !relative.contains("..") && relative.starts_with('/');
    let file = docs.join(relative.trim_start_matches('/'));
    let (status, kind, body) = match std::fs::read(&file) {
        Ok(bytes) if safe => {
            let kind = content_type(&file);
            let body = if kind.starts_with("text/html") {
                String::from_utf8_lossy(&bytes).replace(DEV_WORKER_ORIGIN, worker).into_bytes()
            } else {
                bytes
            };
            ("200 OK", kind, body)
        }
        _ => ("404 Not Found", "text/plain; charset=utf-8", b"not found".to_vec()),
    };
    let csp = if site.strict_csp {
        format!(
            "Content-Security-Policy: default-src 'self'; script-src 'self' {worker}; frame-src {worker}; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; base-uri 'none'; object-src 'none'\r\n"
        )
    } else {
        String::new()
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{csp}Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(header.as_bytes()).and_then(|()| stream.write_all(&body));
}

impl DemoServer {
    /// Serves `www/demo/` on `port`, naming `worker` as the widget's origin,
    /// under the strict CSP.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub fn start(port: u16, worker: &str) -> Result<Self> {
        Self::serve(port, Site { docs: crate::root().join("www/demo"), worker: worker.trim_end_matches('/').to_owned(), strict_csp: true })
    }

    /// Serves the folder `docs` on `port`, without a CSP.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub fn start_plain(port: u16, docs: &Path, worker: &str) -> Result<Self> {
        Self::serve(port, Site { docs: docs.to_owned(), worker: worker.trim_end_matches('/').to_owned(), strict_csp: false })
    }

    fn serve(port: u16, site: Site) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("host page server on port {port}: {e}"))?;
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let site = site.clone();
                std::thread::spawn(move || respond(stream, &site));
            }
        });
        Ok(Self { port, thread })
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_wrangler_config_has_the_send_email_binding_only_when_asked() {
        let dir = std::env::temp_dir().join(format!("buoy-wrangler-config-{}", std::process::id()));
        let config = |send_email: bool| {
            let into = dir.join(send_email.to_string());
            let send_email = Needs { send_email, files: false };
            std::fs::create_dir_all(&into).unwrap_or_else(|e| unreachable!("{e}"));
            let path =
                wrangler_config(&into, Path::new("/w/index.js"), Path::new("/w/site"), send_email).unwrap_or_else(|e| unreachable!("{e}"));
            cmd::read(&path).unwrap_or_else(|e| unreachable!("{e}"))
        };
        let (with, without) = (config(true), config(false));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(crate::build::has_send_email(&with), "{with}");
        assert_eq!(with.matches("[[send_email]]").count(), 1 + without.matches("[[send_email]]").count(), "added once");
        assert!(!crate::build::has_send_email(&without), "no binding for a worker without email:\n{without}");
        assert!(!without.lines().any(|l| l.trim() == "[build]") && with.contains("main = \"/w/index.js\""));
        for config in [&with, &without] {
            assert_eq!(config.matches("[[d1_databases]]").count(), 1, "local runs always have the word index:\n{config}");
            assert!(crate::build::has_search(config));
        }
    }

    #[test]
    fn the_generated_wrangler_config_has_the_bucket_exactly_when_a_site_takes_attachments() {
        let dir = std::env::temp_dir().join(format!("buoy-wrangler-bucket-{}", std::process::id()));
        let config = |files: bool| {
            let into = dir.join(files.to_string());
            std::fs::create_dir_all(&into).unwrap_or_else(|e| unreachable!("{e}"));
            let needs = Needs { send_email: false, files };
            let path =
                wrangler_config(&into, Path::new("/w/index.js"), Path::new("/w/site"), needs).unwrap_or_else(|e| unreachable!("{e}"));
            cmd::read(&path).unwrap_or_else(|e| unreachable!("{e}"))
        };
        let (with, without) = (config(true), config(false));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(with.matches("[[r2_buckets]]").count(), 1, "{with}");
        assert!(with.contains("binding = \"BUOY_FILES\""), "{with}");
        assert!(!crate::build::has_bucket(&without), "no bucket for a worker without attachments:\n{without}");
    }
}
