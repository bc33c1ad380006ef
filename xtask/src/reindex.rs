//! `cargo xtask reindex [--url URL]`: rebuilds the ticket search indexes
//! (email entries in KV, words in D1) from the ticket records, one page
//! per `POST /v1/agent/search/rebuild`, following the cursor to the end.
//! The URL defaults to the development server; the token (an admin's) comes
//! from `BUOY_AGENT_TOKEN` in the environment, else `.dev.vars`. It uses
//! `curl`, so it reaches a deployment over HTTPS as well.

use crate::cmd;
use crate::Result;
use serde_json::Value;

/// One rebuild request: its answer.
fn rebuild_page(url: &str, token: &str, cursor: Option<&str>) -> Result<Value> {
    let mut endpoint = format!("{}/v1/agent/search/rebuild", url.trim_end_matches('/'));
    if let Some(cursor) = cursor {
        endpoint.push_str("?cursor=");
        endpoint.extend(cursor.bytes().map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        }));
    }
    let header = format!("authorization: Bearer {token}");
    let output = cmd::command("curl", &["-sS", "--fail-with-body", "-X", "POST", "-H", &header, &endpoint])
        .output()
        .map_err(|e| format!("could not run curl: {e}"))?;
    let body = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("POST {endpoint}: {body}{}", String::from_utf8_lossy(&output.stderr)));
    }
    serde_json::from_str(&body).map_err(|e| format!("POST {endpoint}: {e}: {body}"))
}

/// Runs the rebuild to its end, printing progress.
///
/// # Errors
/// When a request fails (run it again: a rebuild may be repeated).
pub fn run(args: &[String]) -> Result {
    let url = match args.iter().position(|a| a == "--url") {
        Some(i) => args.get(i + 1).cloned().ok_or("--url takes the worker's URL")?,
        None => crate::serve::DEV_WORKER_ORIGIN.to_owned(),
    };
    let from_env = std::env::var("BUOY_AGENT_TOKEN").ok().filter(|t| !t.is_empty());
    let token = match from_env {
        Some(token) => token,
        None => {
            let vars = cmd::read(&crate::root().join(".dev.vars"))?;
            crate::seed::dev_var(&vars, "BUOY_AGENT_TOKEN")
                .ok_or("set BUOY_AGENT_TOKEN (an admin's token) or run `cargo xtask dev` once")?
        }
    };
    let (mut cursor, mut read, mut indexed) = (None::<String>, 0, 0);
    loop {
        let page = rebuild_page(&url, &token, cursor.as_deref())?;
        read += page["read"].as_u64().unwrap_or(0);
        indexed += page["indexed"].as_u64().unwrap_or(0);
        cursor = page["cursor"].as_str().map(str::to_owned);
        eprint!("\rreindex: {read} records read, {indexed} of this site's tickets indexed");
        if cursor.is_none() {
            eprintln!();
            if page["word_search"] == Value::Bool(false) {
                println!(
                    "reindex: email entries rebuilt; this deployment has no D1 binding, so there is no word index (see README, Searching)"
                );
            } else {
                println!("reindex: done: {indexed} tickets in the email and word indexes");
            }
            return Ok(());
        }
    }
}
