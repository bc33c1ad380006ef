//! The errors the API answers with: a stable `code`, an HTTP status and a
//! short English title for developers. The widget shows people the
//! message the catalog gives for the code, never the title.

use core::fmt;

/// Every error the API can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The body is not JSON.
    MalformedJson,
    /// The JSON does not have the expected shape: an unknown field, a wrong
    /// type, nesting too deep.
    InvalidRequest,
    /// The JSON has the right shape, but fields are wrong (listed apart).
    ValidationFailed,
    /// The request is not `application/json`.
    UnsupportedMediaType,
    /// The body is over the size limit.
    PayloadTooLarge,
    /// No such resource, or not yours to see: the two are never told apart.
    NotFound,
    /// No agent token, or not a valid one.
    Unauthorized,
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// The `Idempotency-Key` header is not 1–255 printable ASCII characters.
    InvalidIdempotencyKey,
    /// The `Idempotency-Key` was used before with another body.
    IdempotencyKeyReused,
    /// The `Idempotency-Key` was first used over 24 hours ago.
    IdempotencyKeyExpired,
    /// The site accepts tickets only from verified users, and this one's
    /// identity is missing, expired or badly signed.
    IdentityRequired,
    /// Too many writes from this client or for this site: try again after
    /// the `Retry-After` seconds.
    RateLimited,
    /// The form's honeypot was filled in: a bot, most likely.
    SpamSuspected,
    /// The site asks for a Turnstile check, and this request's token is
    /// missing, forged, used before, or solved for another page or action.
    TurnstileFailed,
    /// Turnstile's verification could not be reached: try again.
    TurnstileUnavailable,
    /// A satisfaction rating for a ticket that is not solved.
    NotSolved,
    /// A second satisfaction rating for the same ticket.
    AlreadyRated,
    /// Someone else replied to or changed the ticket since the event the
    /// agent's `If-Match` names: the answer says what changed.
    EditConflict,
    // The attachment problems exist in the worker's build only: the panel
    // reads an upload's refusal from its field error (`attach::Refusal`,
    // in the upload module), so the first open carries none of them.
    /// An upload without a `Content-Length`.
    #[cfg(feature = "server")]
    LengthRequired,
    /// A file larger than its site's `max_file_bytes`.
    #[cfg(feature = "server")]
    FileTooLarge,
    /// A file whose bytes are not a kind the site accepts, or contradict
    /// the type its name or `Content-Type` claims.
    #[cfg(feature = "server")]
    UnsupportedFileType,
    /// The site takes no attachments (or the deployment has no bucket).
    #[cfg(feature = "server")]
    AttachmentsOff,
    /// A file link from mail that has expired, or was never valid.
    #[cfg(feature = "server")]
    FileLinkExpired,
    /// A Cloudflare Access token that does not pass (the detail says
    /// which check failed: see `access::Refusal`).
    #[cfg(feature = "server")]
    AccessDenied,
    /// A bearer token where the deployment or the agent's site has turned
    /// them off: sign in through Access.
    #[cfg(feature = "server")]
    BearerTokensOff,
    /// A valid Access sign-in whose email no agent has.
    #[cfg(feature = "server")]
    NotAnAgent,
    /// The agent's role does not allow this.
    #[cfg(feature = "server")]
    Forbidden,
    /// An agent with this email is already on the roster.
    #[cfg(feature = "server")]
    AgentExists,
    /// The agent comes from `buoy.toml`: a redeploy changes them.
    #[cfg(feature = "server")]
    AgentConfigured,
    /// The change would leave no admin.
    #[cfg(feature = "server")]
    LastAdmin,
    /// Our fault; details are in the worker's log, never in the answer.
    Internal,
}

impl Problem {
    /// Every problem, for tests and documentation.
    pub const ALL: &'static [Self] = &[
        Self::MalformedJson,
        Self::InvalidRequest,
        Self::ValidationFailed,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::NotFound,
        Self::Unauthorized,
        Self::MethodNotAllowed,
        Self::InvalidIdempotencyKey,
        Self::IdempotencyKeyReused,
        Self::IdempotencyKeyExpired,
        Self::IdentityRequired,
        Self::RateLimited,
        Self::SpamSuspected,
        Self::TurnstileFailed,
        Self::TurnstileUnavailable,
        Self::NotSolved,
        Self::AlreadyRated,
        Self::EditConflict,
        #[cfg(feature = "server")]
        Self::LengthRequired,
        #[cfg(feature = "server")]
        Self::FileTooLarge,
        #[cfg(feature = "server")]
        Self::UnsupportedFileType,
        #[cfg(feature = "server")]
        Self::AttachmentsOff,
        #[cfg(feature = "server")]
        Self::FileLinkExpired,
        #[cfg(feature = "server")]
        Self::AccessDenied,
        #[cfg(feature = "server")]
        Self::BearerTokensOff,
        #[cfg(feature = "server")]
        Self::NotAnAgent,
        #[cfg(feature = "server")]
        Self::Forbidden,
        #[cfg(feature = "server")]
        Self::AgentExists,
        #[cfg(feature = "server")]
        Self::AgentConfigured,
        #[cfg(feature = "server")]
        Self::LastAdmin,
        Self::Internal,
    ];

    /// The stable code clients match on.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidRequest => "invalid_request",
            Self::ValidationFailed => "validation_failed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyExpired => "idempotency_key_expired",
            Self::IdentityRequired => "identity_required",
            Self::RateLimited => "rate_limited",
            Self::SpamSuspected => "spam_suspected",
            Self::TurnstileFailed => "turnstile_failed",
            Self::TurnstileUnavailable => "turnstile_unavailable",
            Self::NotSolved => "not_solved",
            Self::AlreadyRated => "already_rated",
            Self::EditConflict => "edit_conflict",
            #[cfg(feature = "server")]
            Self::LengthRequired => "length_required",
            #[cfg(feature = "server")]
            Self::FileTooLarge => "file_too_large",
            #[cfg(feature = "server")]
            Self::UnsupportedFileType => "unsupported_file_type",
            #[cfg(feature = "server")]
            Self::AttachmentsOff => "attachments_off",
            #[cfg(feature = "server")]
            Self::FileLinkExpired => "file_link_expired",
            #[cfg(feature = "server")]
            Self::AccessDenied => "access_denied",
            #[cfg(feature = "server")]
            Self::BearerTokensOff => "bearer_tokens_off",
            #[cfg(feature = "server")]
            Self::NotAnAgent => "not_an_agent",
            #[cfg(feature = "server")]
            Self::Forbidden => "forbidden",
            #[cfg(feature = "server")]
            Self::AgentExists => "agent_exists",
            #[cfg(feature = "server")]
            Self::AgentConfigured => "agent_configured",
            #[cfg(feature = "server")]
            Self::LastAdmin => "last_admin",
            Self::Internal => "internal",
        }
    }

    /// The problem whose code is `code`, if any.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.code() == code)
    }

    /// The HTTP status it is sent with.
    pub const fn status(self) -> u16 {
        match self {
            Self::MalformedJson | Self::InvalidRequest | Self::InvalidIdempotencyKey => 400,
            Self::ValidationFailed => 422,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge => 413,
            Self::NotFound => 404,
            Self::Unauthorized => 401,
            Self::MethodNotAllowed => 405,
            Self::IdempotencyKeyReused | Self::IdempotencyKeyExpired | Self::SpamSuspected => 422,
            Self::IdentityRequired | Self::TurnstileFailed => 403,
            Self::TurnstileUnavailable => 503,
            Self::RateLimited => 429,
            Self::NotSolved | Self::AlreadyRated | Self::EditConflict => 409,
            #[cfg(feature = "server")]
            Self::LengthRequired => 411,
            #[cfg(feature = "server")]
            Self::FileTooLarge => 413,
            #[cfg(feature = "server")]
            Self::UnsupportedFileType => 415,
            #[cfg(feature = "server")]
            Self::AttachmentsOff | Self::FileLinkExpired => 404,
            #[cfg(feature = "server")]
            Self::AccessDenied | Self::BearerTokensOff => 401,
            #[cfg(feature = "server")]
            Self::NotAnAgent | Self::Forbidden => 403,
            #[cfg(feature = "server")]
            Self::AgentExists | Self::AgentConfigured | Self::LastAdmin => 409,
            Self::Internal => 500,
        }
    }

    /// A short title for developers reading the response.
    pub const fn title(self) -> &'static str {
        match self {
            Self::MalformedJson => "The body is not valid JSON.",
            Self::InvalidRequest => "The JSON does not have the expected fields.",
            Self::ValidationFailed => "Some fields are not valid.",
            Self::UnsupportedMediaType => "Send the body as application/json.",
            Self::PayloadTooLarge => "The body is larger than 64 KiB.",
            Self::NotFound => "Not found.",
            Self::Unauthorized => "A valid agent token is required.",
            Self::MethodNotAllowed => "This method is not allowed here.",
            Self::InvalidIdempotencyKey => "The Idempotency-Key must be 1-255 printable ASCII characters.",
            Self::IdempotencyKeyReused => "This Idempotency-Key was used with a different body; use a new key for a new request.",
            Self::IdempotencyKeyExpired => "This Idempotency-Key was first used over 24 hours ago; use a new key.",
            Self::IdentityRequired => {
                "This site accepts requests from signed-in users only; the identity is missing, expired or badly signed."
            }
            Self::RateLimited => "Too many requests; try again after Retry-After seconds.",
            Self::SpamSuspected => "The form's hidden field was filled in; this looks automated.",
            Self::TurnstileFailed => "The Turnstile check is missing, was used before, or did not pass; solve it again and resend.",
            Self::TurnstileUnavailable => "The Turnstile check could not be verified just now; try again.",
            Self::NotSolved => "Only a solved ticket can be rated.",
            Self::AlreadyRated => "This ticket has already been rated.",
            Self::EditConflict => "Someone else replied to or changed this ticket since the event If-Match names; see what changed.",
            #[cfg(feature = "server")]
            Self::LengthRequired => "State the file's size in Content-Length.",
            #[cfg(feature = "server")]
            Self::FileTooLarge => "The file is larger than this site accepts.",
            #[cfg(feature = "server")]
            Self::UnsupportedFileType => "This type of file is not accepted, or its bytes are not the type its name or Content-Type says.",
            #[cfg(feature = "server")]
            Self::AttachmentsOff => "This site does not take attachments.",
            #[cfg(feature = "server")]
            Self::FileLinkExpired => "This file link has expired or is not valid; ask for the file again.",
            #[cfg(feature = "server")]
            Self::AccessDenied => "The Cloudflare Access sign-in is not valid; sign in again.",
            #[cfg(feature = "server")]
            Self::BearerTokensOff => "Bearer tokens are turned off here; sign in through Cloudflare Access.",
            #[cfg(feature = "server")]
            Self::NotAnAgent => "You are signed in, but no agent has this email; ask an admin to add you.",
            #[cfg(feature = "server")]
            Self::Forbidden => "Your role does not allow this.",
            #[cfg(feature = "server")]
            Self::AgentExists => "An agent with this email already exists.",
            #[cfg(feature = "server")]
            Self::AgentConfigured => "This agent is set in buoy.toml; change them there and redeploy.",
            #[cfg(feature = "server")]
            Self::LastAdmin => "This would leave no admin; make someone else an admin first.",
            Self::Internal => "Something went wrong on our side.",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How long a repeated `Idempotency-Key` replays the first answer.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Largest request body the API reads, in bytes: every route's cap
/// unless [`BODY_CAPS`] gives it another.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest body each route's `POST` may carry, in bytes: a path
/// pattern (`*` stands for one segment) and its cap. Every route takes a
/// JSON document of a few KiB today, so every cap is [`MAX_BODY_BYTES`];
/// a route that takes files (attachments, say) gets a larger cap here,
/// and the worker then streams that much of its body and no more.
pub const BODY_CAPS: &[(&str, usize)] = &[
    ("/v1/tickets", MAX_BODY_BYTES),
    ("/v1/tickets/mine", MAX_BODY_BYTES),
    ("/v1/deflections", MAX_BODY_BYTES),
    ("/v1/tickets/*/messages", MAX_BODY_BYTES),
    ("/v1/tickets/*/csat", MAX_BODY_BYTES),
    ("/v1/agent/tickets/*/segment", MAX_BODY_BYTES),
    ("/v1/agent/tickets/*/messages", MAX_BODY_BYTES),
    ("/v1/agent/tickets/*/changes", MAX_BODY_BYTES),
    ("/v1/agent/tickets/*/presence", MAX_BODY_BYTES),
    ("/v1/agent/bulk", MAX_BODY_BYTES),
];

/// The largest body a request to `path` may carry: its route's line in
/// [`BODY_CAPS`], or [`MAX_BODY_BYTES`] for any other path (which answers
/// 404 or 405 without reading it). The worker refuses a larger
/// `Content-Length` at once, and stops reading a body sent without one as
/// soon as it passes the cap: either way `413 payload_too_large`, before
/// any abuse-limit counter is spent.
pub fn body_cap(path: &str) -> usize {
    cap_in(BODY_CAPS, path)
}

fn cap_in(table: &[(&str, usize)], path: &str) -> usize {
    let matches = |pattern: &str| {
        let (mut want, mut got) = (pattern.split('/'), path.split('/'));
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some("*"), Some(segment)) if !segment.is_empty() => {}
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    };
    table.iter().find(|(pattern, _)| matches(pattern)).map_or(MAX_BODY_BYTES, |(_, cap)| *cap)
}

/// Whether a request repeating an `Idempotency-Key` may be answered as the
/// first one was: only with the same body (`body_hash`, `keys::request_hash`
/// of it, against the hash the first one stored; a record stored without
/// a hash is taken as the same) and within [`IDEMPOTENCY_WINDOW_MS`] of
/// the first (`first_ms`). The same rule for a new ticket and an answer.
///
/// # Errors
/// [`Problem::IdempotencyKeyReused`] for another body,
/// [`Problem::IdempotencyKeyExpired`] after the window.
pub fn replayable(first_hash: Option<&str>, first_ms: i64, body_hash: &str, now_ms: i64) -> Result<(), Problem> {
    if first_hash.is_some_and(|h| h != body_hash) {
        return Err(Problem::IdempotencyKeyReused);
    }
    if now_ms - first_ms > IDEMPOTENCY_WINDOW_MS {
        return Err(Problem::IdempotencyKeyExpired);
    }
    Ok(())
}

/// Whether an `Idempotency-Key` header value is acceptable: 1–255
/// printable ASCII characters (a UUID is typical).
pub fn is_valid_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for p in Problem::ALL {
            assert_eq!(Problem::parse(p.code()), Some(*p));
            assert!((400..600).contains(&p.status()));
        }
        let mut codes: Vec<_> = Problem::ALL.iter().map(|p| p.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), Problem::ALL.len());
    }

    #[test]
    fn only_internal_errors_are_5xx() {
        // Our fault, or an outage of the one service a request waits on;
        // never anything about the request itself.
        let server: Vec<_> = Problem::ALL.iter().filter(|p| p.status() >= 500).collect();
        assert_eq!(server, [&Problem::TurnstileUnavailable, &Problem::Internal]);
    }

    #[test]
    fn every_route_reads_at_most_64_kib() {
        for path in [
            "/v1/tickets",
            "/v1/tickets/mine",
            "/v1/deflections",
            "/v1/tickets/0123456789abcdef0123456789abcdef/messages",
            "/v1/tickets/0123456789abcdef0123456789abcdef/csat",
            "/v1/agent/tickets/0123456789abcdef0123456789abcdef/changes",
            "/v1/nope",
            "",
        ] {
            assert_eq!(body_cap(path), 64 * 1024, "{path}");
        }
    }

    #[test]
    fn a_route_with_its_own_line_gets_its_own_cap() {
        let table = [("/v1/tickets/*/attachments", 10 << 20), ("/v1/tickets", 1024)];
        for (path, cap) in [
            ("/v1/tickets/abc/attachments", 10 << 20),
            ("/v1/tickets", 1024),
            ("/v1/tickets//attachments", MAX_BODY_BYTES),
            ("/v1/tickets/a/b/attachments", MAX_BODY_BYTES),
            ("/v1/tickets/abc/attachments/x", MAX_BODY_BYTES),
            ("/v1/tickets/", MAX_BODY_BYTES),
            ("/v1/tickets/abc/messages", MAX_BODY_BYTES),
        ] {
            assert_eq!(cap_in(&table, path), cap, "{path}");
        }
    }

    #[test]
    fn a_repeated_key_replays_only_the_same_body_for_24_hours() {
        let day = IDEMPOTENCY_WINDOW_MS;
        for (first_hash, body_hash, after, answer) in [
            (Some("aa"), "aa", 0, Ok(())),
            (Some("aa"), "aa", day, Ok(())),
            (Some("aa"), "aa", day + 1, Err(Problem::IdempotencyKeyExpired)),
            (Some("aa"), "bb", 5_000, Err(Problem::IdempotencyKeyReused)),
            (Some("aa"), "bb", day + 1, Err(Problem::IdempotencyKeyReused)),
            (None, "bb", 5_000, Ok(())),
        ] {
            assert_eq!(replayable(first_hash, 1_000, body_hash, 1_000 + after), answer, "{first_hash:?} then {body_hash} after {after} ms");
        }
    }

    #[test]
    fn idempotency_keys() {
        assert!(is_valid_idempotency_key("6f1c2a7e-2b8e-4c53-9a0e-2f5d1b0b8c11"));
        assert!(!is_valid_idempotency_key(""));
        assert!(!is_valid_idempotency_key("has space"));
        assert!(!is_valid_idempotency_key("ünicode"));
        assert!(!is_valid_idempotency_key(&"k".repeat(256)));
    }
}
