//! Cloudflare Turnstile, optional per site: the rules for checking a
//! widget's token on the server.
//!
//! The panel gets a token from the Turnstile widget (action [`ACTION`]) and
//! sends it with a new ticket in the [`HEADER`] header — not in the body,
//! so a retry with a fresh token keeps its `Idempotency-Key` valid. The
//! worker posts it to the `siteverify` endpoint (configurable, so tests
//! run against a local stand-in) and accepts the ticket only when the
//! answer says `success` for the worker's own hostname and this action.
//! Turnstile tokens are single-use: `siteverify` refuses a token it has
//! seen, so a replayed token is refused like a forged one.

use crate::panel::escape_html;
use serde::Deserialize;

pub use crate::ticket::TURNSTILE_HEADER as HEADER;
/// The action the panel renders the widget with, checked on the server.
pub const ACTION: &str = "ticket";
/// Cloudflare's verification endpoint.
pub const DEFAULT_VERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// Cloudflare's widget script.
pub const DEFAULT_SCRIPT_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/api.js";
/// The longest token Turnstile issues.
pub const MAX_TOKEN_LEN: usize = 2048;

/// Why a token was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token came with the ticket, or it cannot be a token.
    Missing,
    /// `siteverify` said no (its error codes, e.g. `timeout-or-duplicate`
    /// for a token used before, `invalid-input-response` for a forged one).
    Rejected(Vec<String>),
    /// The token was solved on another hostname.
    WrongHostname(String),
    /// The token was solved for another action.
    WrongAction(String),
    /// The answer was not a `siteverify` answer.
    Unreadable,
}

/// Whether a header value can be a Turnstile token: 1–2048 printable
/// ASCII characters. Anything else is refused before a call is spent.
pub fn is_plausible_token(token: &str) -> bool {
    (1..=MAX_TOKEN_LEN).contains(&token.len()) && token.bytes().all(|c| c.is_ascii_graphic())
}

/// The `application/x-www-form-urlencoded` body of a `siteverify` call.
/// The idempotency key lets the worker ask again about the same token
/// (after a timeout) without it counting as a second use.
pub fn verify_form(secret: &str, token: &str, remote_ip: Option<&str>, idempotency_key: Option<&str>) -> String {
    let mut out = String::new();
    let fields = [("secret", Some(secret)), ("response", Some(token)), ("remoteip", remote_ip), ("idempotency_key", idempotency_key)];
    for (name, value) in fields {
        let Some(value) = value else { continue };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        form_encode(value, &mut out);
    }
    out
}

fn form_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    success: bool,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
}

/// Judges a `siteverify` answer: accepted only on `success` for
/// `hostname` (the worker's own, where the panel runs) and `action`.
///
/// # Errors
/// The [`Refusal`], when the token is not accepted.
pub fn judge(answer: &[u8], hostname: &str, action: &str) -> Result<(), Refusal> {
    let answer: Answer = serde_json::from_slice(answer).map_err(|_| Refusal::Unreadable)?;
    if !answer.success {
        return Err(Refusal::Rejected(answer.error_codes));
    }
    let solved_on = answer.hostname.unwrap_or_default();
    if !solved_on.eq_ignore_ascii_case(hostname) {
        return Err(Refusal::WrongHostname(solved_on));
    }
    let solved_for = answer.action.unwrap_or_default();
    if solved_for != action {
        return Err(Refusal::WrongAction(solved_for));
    }
    Ok(())
}

/// The hostname of a `Host` header value (`example.com:8787` →
/// `example.com`, `[::1]:8787` → `::1`).
pub fn hostname_of(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host })
}

/// The widget page of a site with Turnstile: `page` with the script
/// that renders the check (`/widget/turnstile.js`, told the site key and
/// the Turnstile script's URL) added before `</body>`. Values are
/// attribute-escaped.
pub fn with_widget(page: &[u8], site_key: &str, script_url: &str) -> Vec<u8> {
    let (key, api) = (escape_html(site_key), escape_html(script_url));
    let tag = format!("<script src=\"/widget/turnstile.js\" data-sitekey=\"{key}\" data-api=\"{api}\" defer></script>");
    crate::panel::insert_before(page, "</body>", &tag, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(success: bool, hostname: &str, action: &str, codes: &[&str]) -> Vec<u8> {
        serde_json::json!({
            "success": success,
            "hostname": hostname,
            "action": action,
            "challenge_ts": "2026-12-01T10:00:00.000Z",
            "error-codes": codes,
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn accepts_only_success_for_this_hostname_and_action() {
        assert_eq!(judge(&answer(true, "help.example.com", "ticket", &[]), "help.example.com", ACTION), Ok(()));
        assert_eq!(judge(&answer(true, "HELP.example.com", "ticket", &[]), "help.example.com", ACTION), Ok(()));
        assert_eq!(
            judge(&answer(false, "", "", &["timeout-or-duplicate"]), "help.example.com", ACTION),
            Err(Refusal::Rejected(vec!["timeout-or-duplicate".into()]))
        );
        assert_eq!(
            judge(&answer(true, "evil.example", "ticket", &[]), "help.example.com", ACTION),
            Err(Refusal::WrongHostname("evil.example".into()))
        );
        assert_eq!(
            judge(&answer(true, "help.example.com", "login", &[]), "help.example.com", ACTION),
            Err(Refusal::WrongAction("login".into()))
        );
        // A success without hostname or action proves nothing about either.
        assert_eq!(judge(br#"{"success":true}"#, "help.example.com", ACTION), Err(Refusal::WrongHostname(String::new())));
    }

    #[test]
    fn an_answer_that_is_not_siteverify_is_refused() {
        for body in [&b""[..], b"<html>", b"{}", b"{\"success\":\"yes\"}", b"null"] {
            assert_eq!(judge(body, "h", ACTION), Err(Refusal::Unreadable), "{body:?}");
        }
    }

    #[test]
    fn form_body_is_url_encoded() {
        assert_eq!(
            verify_form("0x4A+/=", "tok en&x", Some("203.0.113.9"), Some("k-1")),
            "secret=0x4A%2B%2F%3D&response=tok+en%26x&remoteip=203.0.113.9&idempotency_key=k-1"
        );
        assert_eq!(verify_form("s", "t", None, None), "secret=s&response=t");
        assert_eq!(verify_form("s", "é", None, None), "secret=s&response=%C3%A9");
    }

    #[test]
    fn plausible_tokens() {
        assert!(is_plausible_token("0.abc-DEF_123"));
        assert!(!is_plausible_token(""));
        assert!(!is_plausible_token("with space"));
        assert!(!is_plausible_token("ünïcode"));
        assert!(!is_plausible_token(&"a".repeat(MAX_TOKEN_LEN + 1)));
        assert!(is_plausible_token(&"a".repeat(MAX_TOKEN_LEN)));
    }

    #[test]
    fn the_widget_page_gets_the_check_before_its_end() {
        let page = b"<html><body><div id=\"buoy\"></div>\n</body>\n</html>\n";
        let out =
            String::from_utf8(with_widget(page, "0x4AAA", "https://challenges.cloudflare.com/turnstile/v0/api.js")).unwrap_or_default();
        assert_eq!(
            out,
            "<html><body><div id=\"buoy\"></div>\n<script src=\"/widget/turnstile.js\" data-sitekey=\"0x4AAA\" \
             data-api=\"https://challenges.cloudflare.com/turnstile/v0/api.js\" defer></script></body>\n</html>\n"
        );
        let hostile = String::from_utf8(with_widget(b"<body></body>", "k\"><script>", "https://x/?a=1&b=\"2\"")).unwrap_or_default();
        assert!(hostile.contains("data-sitekey=\"k&quot;&gt;&lt;script&gt;\""), "{hostile}");
        assert!(hostile.contains("data-api=\"https://x/?a=1&amp;b=&quot;2&quot;\""), "{hostile}");
    }

    // proptest does not build for wasm32; these run on the host.
    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, failure_persistence: None, ..Default::default() })]

            /// Any answer is judged without a panic, and only a success
            /// for exactly this hostname and action passes.
            #[test]
            fn only_a_matching_success_passes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                                               host in "[a-z.]{0,20}", action in "[a-z_]{0,10}", success in proptest::prelude::any::<bool>()) {
                let verdict = judge(&body, "help.example.com", ACTION);
                let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
                let passes = parsed.as_ref().is_some_and(|v| v["success"] == true && v["hostname"] == "help.example.com" && v["action"] == ACTION);
                proptest::prop_assert_eq!(verdict.is_ok(), passes);
                let answer = serde_json::json!({ "success": success, "hostname": host, "action": action }).to_string();
                let ok = judge(answer.as_bytes(), "help.example.com", ACTION).is_ok();
                proptest::prop_assert_eq!(ok, success && host == "help.example.com" && action == ACTION);
            }

            /// Header values: any string gets a hostname without a panic,
            /// and the form body never carries a raw separator.
            #[test]
            fn header_values_never_panic(host in ".{0,40}", token in ".{0,60}") {
                let name = hostname_of(&host);
                proptest::prop_assert!(host.contains(name));
                let form = verify_form("s", &token, Some(&host), None);
                proptest::prop_assert_eq!(form.matches('&').count(), 2);
                proptest::prop_assert!(!form.contains(' '));
            }
        }
    }

    #[test]
    fn hostnames_of_host_headers() {
        assert_eq!(hostname_of("help.example.com"), "help.example.com");
        assert_eq!(hostname_of("127.0.0.1:8787"), "127.0.0.1");
        assert_eq!(hostname_of("[::1]:8787"), "::1");
        assert_eq!(hostname_of("[::1]"), "::1");
    }
}
