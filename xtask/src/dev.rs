//! `cargo xtask dev`: the worker on 127.0.0.1:8787 with a persisted local
//! KV, and the demo host page on 127.0.0.1:8788.

use crate::build::{self, Options};
use crate::cmd;
use crate::serve::{self, DemoServer, Wrangler, WranglerOptions};
use crate::setup::{self, Need};
use crate::Result;
use std::time::Duration;

const WORKER_PORT: u16 = 8787;
const DEMO_PORT: u16 = 8788;
const TOKEN_NAME: &str = "BUOY_AGENT_TOKEN";
/// The server secret, as `buoy_worker::SECRET_NAME` reads it.
pub const SECRET_NAME: &str = "BUOY_SECRET";

/// Makes sure `.dev.vars` holds the demo agent's token and the server
/// secret, creating what is missing, and returns the token in force
/// (`BUOY_AGENT_TOKEN` in the environment wins).
fn dev_vars(path: &std::path::Path) -> Result<String> {
    let mut text = if path.exists() { cmd::read(path)? } else { String::new() };
    let value = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut changed = false;
    for (name, comment) in [
        (TOKEN_NAME, "# The demo agent's bearer token (buoy.toml names this secret)."),
        (SECRET_NAME, "# Keys ticket ids and requester tokens; keep it secret."),
        ("BUOY_IDENTITY_SECRET", "# Signs the demo site's verified identities (buoy.toml: identity_secret)."),
    ] {
        if value(&text, name).is_none() {
            text.push_str(&format!("{comment}\n{name}={}\n", cmd::random_hex(32)?));
            changed = true;
        }
    }
    if changed {
        cmd::write(path, &text)?;
        println!("wrote {} (git-ignored)", path.display());
    }
    let from_env = std::env::var(TOKEN_NAME).ok().filter(|t| !t.is_empty());
    from_env.or_else(|| value(&text, TOKEN_NAME)).ok_or_else(|| format!("{}: no {TOKEN_NAME}", path.display()))
}

/// Runs `cargo xtask dev`.
///
/// # Errors
/// When a build fails or a port is taken.
pub fn run() -> Result {
    setup::ensure(Need::Build)?;
    let built = build::all(&Options::dev())?;
    let root = crate::root();
    let token = dev_vars(&root.join(".dev.vars"))?;
    for port in [WORKER_PORT, DEMO_PORT] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Err(format!("port {port} is in use: is another `cargo xtask dev` running?"));
        }
    }
    let config = serve::wrangler_config(&root.join("dist"), &built.worker_main, &built.site, built.needs)?;
    let mut vars = std::env::var(TOKEN_NAME).ok().filter(|t| !t.is_empty()).map(|t| vec![(TOKEN_NAME.to_owned(), t)]).unwrap_or_default();
    // The mail view: every mail the worker sends, at /dev/mail (a 404 anywhere else).
    vars.push((buoy_worker::mail_out::DEV_MAIL_VAR.to_owned(), "1".to_owned()));
    // The instance's wasm memory, at /dev/stats (a 404 anywhere else).
    vars.push((buoy_worker::DEV_STATS_VAR.to_owned(), "1".to_owned()));
    vars.push((buoy_worker::mail_out::PUBLIC_URL_VAR.to_owned(), format!("http://127.0.0.1:{WORKER_PORT}")));
    let env_file = root.join(".dev.vars");
    let mut wrangler = Wrangler::start(&WranglerOptions {
        config: &config,
        port: WORKER_PORT,
        persist_to: &root.join(".wrangler/state"),
        vars,
        env_file: Some(&env_file),
        log: None,
        test_scheduled: true,
        pin_cpu: None,
        own_group: false,
    })?;
    wrangler.wait_ready(Duration::from_secs(90))?;
    let demo = DemoServer::start(DEMO_PORT, &wrangler.url())?;
    println!();
    println!("Buoy is running.");
    println!("  demo host page (a customer's site): {}", demo.url());
    println!("  worker (API, widget, loader):       {}/", wrangler.url());
    println!("  agent console:                      {}/console/", wrangler.url());
    println!("  demo agent token:                   {token}  (sign in to the console with it)");
    println!("  list tickets:  curl -H \"Authorization: Bearer {token}\" {}/v1/agent/tickets", wrangler.url());
    println!("  run the SLA sweep now:  curl '{}/__scheduled?cron=*+*+*+*+*'", wrangler.url());
    println!("  mail the worker sent (after a sweep): {}{}", wrangler.url(), buoy_worker::mail_out::DEV_MAIL_PATH);
    println!("  the worker's wasm memory: {}{}", wrangler.url(), buoy_worker::DEV_STATS_PATH);
    println!("Ctrl-C stops both.");
    wrangler.wait();
    Ok(())
}
