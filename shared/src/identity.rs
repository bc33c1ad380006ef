//! Verified identity: the product's backend vouches for its signed-in user,
//! so Buoy can trust the user's segment, email and account manager.
//!
//! Two ways to sign, both keyed with the site's identity secret (never
//! the user id alone, so a user cannot edit what was not signed), and both
//! short-lived: `exp` (seconds since the epoch) is required, must be in the
//! future and at most [`MAX_LIFETIME_SECS`] ahead.
//!
//! - **JWT (HS256)**: `header.payload.signature`, base64url without
//!   padding; the header's `alg` must be `HS256`; the payload carries
//!   `sub` (the user id), `exp`, and optionally `email`, `name`, `segment`,
//!   `account_manager`.
//! - **HMAC (v2)**: `signature` = hex HMAC-SHA256 over [`canonical`]: the
//!   line `buoy-identity-v2`, then one `{key}:{length}:{value}` line per
//!   field the identity carries, sorted by key, the length in UTF-8 bytes.
//!   The length prefix makes the text impossible to re-split: a value may
//!   hold `\n`, `:` or `=` and still be read back as one value. A field
//!   added after signing changes the text, so the signature no longer
//!   matches. A claim with `exp` is checked as v2.
//! - **HMAC v1** (the form before v2, a claim without `exp`): one
//!   `key=value\n` line per field. It is ambiguous — a signed name
//!   `Eve\nsegment=enterprise` is the same text as a name and a segment —
//!   and it never expires, so it is accepted only on a site whose
//!   `identity_v1` is true, and the worker logs each use.
//!
//! Anything unsigned, expired or badly signed is anonymous (segment
//! `free`, unverified), on every endpoint; checks run in constant time.

use crate::vocab::Segment;
#[cfg(feature = "server")]
use hmac::{Hmac, Mac};
use serde::Deserialize;
#[cfg(feature = "server")]
use sha2::Sha256;
#[cfg(feature = "server")]
use subtle::ConstantTimeEq;

#[cfg(feature = "server")]
type HmacSha256 = Hmac<Sha256>;

/// The longest an identity (JWT or HMAC v2) may still be valid for: a day.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// The longest field of an identity, in characters.
pub const MAX_FIELD: usize = 254;
/// The first line of the text a v2 HMAC identity signs: the version is
/// signed, so a v2 signature never checks out as another form.
pub const VERSION_LINE: &str = "buoy-identity-v2";
/// The fixed keys of a v2 identity; host context is signed as
/// `context.<key>` besides (see [`is_signed_key`]).
pub const KEYS: [&str; 6] = ["id", "email", "name", "segment", "account_manager", "exp"];
/// The longest `<key>` of a `context.<key>`, in bytes.
pub const MAX_CONTEXT_KEY: usize = 64;

/// What the widget passes on from `Buoy('identify', …)`: untrusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityClaim {
    /// The user id (HMAC form).
    #[serde(default)]
    pub id: Option<String>,
    /// Their email (HMAC form).
    #[serde(default)]
    pub email: Option<String>,
    /// Their name (HMAC form).
    #[serde(default)]
    pub name: Option<String>,
    /// Their segment (HMAC form).
    #[serde(default)]
    pub segment: Option<String>,
    /// Their named account manager (HMAC form).
    #[serde(default)]
    pub account_manager: Option<String>,
    /// When the signature stops being valid, in seconds since the epoch
    /// (HMAC form): required, at most [`MAX_LIFETIME_SECS`] ahead. A claim
    /// without it is the ambiguous v1 form.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Hex HMAC-SHA256 over the canonical string (HMAC form).
    #[serde(default)]
    pub signature: Option<String>,
    /// A JWT (the other form).
    #[serde(default)]
    pub token: Option<String>,
    /// Host context the signature covers (HMAC form), signed as
    /// `context.<key>` lines; a JWT carries it as its `context` claim.
    /// The worker's only (the widget passes what the page gave).
    #[cfg(feature = "server")]
    #[serde(default)]
    pub context: crate::vocab::Pairs,
}

impl IdentityClaim {
    /// A claim of these fields, as the widget passes on what the page
    /// said (signed context, the worker's only, empty).
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        id: Option<String>,
        email: Option<String>,
        name: Option<String>,
        segment: Option<String>,
        account_manager: Option<String>,
        exp: Option<i64>,
        signature: Option<String>,
        token: Option<String>,
    ) -> Self {
        Self {
            id,
            email,
            name,
            segment,
            account_manager,
            exp,
            signature,
            token,
            #[cfg(feature = "server")]
            context: crate::vocab::Pairs::new(),
        }
    }

    /// Whether it carries a signature or a token: something the worker can
    /// check (an unsigned claim is anonymous everywhere).
    pub const fn is_signed(&self) -> bool {
        self.signature.is_some() || self.token.is_some()
    }
}

/// How a verified identity was signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// An HS256 JWT.
    Jwt,
    /// An HMAC over the v2 canonical text (with `exp`).
    Hmac,
    /// An HMAC over the ambiguous v1 text: accepted only where the site's
    /// `identity_v1` allows it, and logged.
    HmacV1,
}

/// A user the product vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The user id.
    pub id: String,
    /// Their email.
    pub email: Option<String>,
    /// Their name.
    pub name: Option<String>,
    /// Their segment (`free` when the product did not say).
    pub segment: Segment,
    /// Their named account manager.
    pub account_manager: Option<String>,
    /// How it was signed.
    pub form: Form,
    /// The host context it signed (`context.<key>`), shown to agents as
    /// verified.
    pub context: crate::vocab::Pairs,
}

/// Why a claim is not trusted (the requester is then anonymous).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No signature and no token.
    Unsigned,
    /// The JWT is not three base64url parts of JSON, or its header is not HS256.
    Malformed,
    /// The signature does not match.
    BadSignature,
    /// `exp` is missing, past, or too far ahead (an HMAC claim without
    /// `exp` on a site that refuses v1 is missing it).
    Expired,
    /// A field is empty, too long, or not a known segment.
    BadField,
    /// A key that cannot be signed (neither a fixed key nor
    /// `context.<[a-z0-9_]>`), or a key given twice.
    BadKey,
}

/// Whether `key` can be signed in a v2 identity: one of [`KEYS`], or
/// `context.<key>` with `<key>` of 1 to [`MAX_CONTEXT_KEY`] bytes of
/// `[a-z0-9_]`. No key holds `:` or a line break, so the canonical text
/// reads back one way only.
pub fn is_signed_key(key: &str) -> bool {
    KEYS.contains(&key)
        || key.strip_prefix("context.").is_some_and(|k| {
            (1..=MAX_CONTEXT_KEY).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// The v2 canonical text of any set of `(key, value)` pairs: the version
/// line, then `{key}:{UTF-8 length of value}:{value}\n` per pair, sorted
/// by key (byte order). Host context (`context.<key>`) goes through here
/// as well as the fixed fields.
///
/// # Errors
/// [`Refusal::BadKey`] for a key [`is_signed_key`] refuses, or one given twice.
pub fn canonical_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<String, Refusal> {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if pairs.iter().any(|(k, _)| !is_signed_key(k)) || pairs.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Refusal::BadKey);
    }
    let mut out = String::with_capacity(VERSION_LINE.len() + 1 + pairs.iter().map(|(k, v)| k.len() + v.len() + 8).sum::<usize>());
    out.push_str(VERSION_LINE);
    out.push('\n');
    for (key, value) in pairs {
        out.push_str(key);
        out.push(':');
        out.push_str(&value.len().to_string());
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    Ok(out)
}

/// The canonical text a v2 HMAC identity signs: every field the claim
/// carries, `exp` in decimal (see [`canonical_pairs`]).
pub fn canonical(claim: &IdentityClaim) -> String {
    let exp = claim.exp.map(|e| e.to_string());
    let pairs = [
        ("id", &claim.id),
        ("email", &claim.email),
        ("name", &claim.name),
        ("segment", &claim.segment),
        ("account_manager", &claim.account_manager),
        ("exp", &exp),
    ];
    #[cfg(feature = "server")]
    let context: Vec<(String, &str)> = claim.context.iter().map(|(k, v)| (format!("context.{k}"), v.as_str())).collect();
    #[cfg(not(feature = "server"))]
    let context: Vec<(String, &str)> = Vec::new();
    let fixed = pairs.iter().filter_map(|(k, v)| Some((*k, v.as_deref()?)));
    // Fixed, distinct keys and distinct map keys: only a context key of
    // the wrong shape is refused, and such a claim signs as empty text,
    // which no signature matches.
    canonical_pairs(fixed.chain(context.iter().map(|(k, v)| (k.as_str(), *v)))).unwrap_or_default()
}

/// The text a v1 HMAC identity signs: `key=value\n` per field, in the
/// order `id`, `email`, `name`, `segment`, `account_manager`. Ambiguous (a
/// value holding `\n` reads as two fields), so accepted only where a
/// site's `identity_v1` allows it.
pub fn canonical_v1(claim: &IdentityClaim) -> String {
    let mut out = String::new();
    for (key, value) in [
        ("id", &claim.id),
        ("email", &claim.email),
        ("name", &claim.name),
        ("segment", &claim.segment),
        ("account_manager", &claim.account_manager),
    ] {
        if let Some(value) = value {
            out.push_str(key);
            out.push('=');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

#[cfg(feature = "server")]
fn mac(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else { return [0; 32] };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(feature = "server")]
/// The hex HMAC-SHA256 signature of a claim over its v2 canonical text
/// (what the product's backend computes).
pub fn sign(secret: &[u8], claim: &IdentityClaim) -> String {
    crate::keys::hex(&mac(secret, canonical(claim).as_bytes()))
}

#[cfg(feature = "server")]
/// The hex HMAC-SHA256 signature of a claim over its v1 text: what
/// products that have not moved to v2 compute (tests and migration tools).
pub fn sign_v1(secret: &[u8], claim: &IdentityClaim) -> String {
    crate::keys::hex(&mac(secret, canonical_v1(claim).as_bytes()))
}

#[cfg(feature = "server")]
/// The expiry rule of both forms: present, in the future, at most
/// [`MAX_LIFETIME_SECS`] ahead of `now`.
fn check_exp(exp: Option<i64>, now: i64) -> Result<(), Refusal> {
    match exp {
        Some(exp) if exp > now && exp <= now.saturating_add(MAX_LIFETIME_SECS) => Ok(()),
        _ => Err(Refusal::Expired),
    }
}

#[cfg(feature = "server")]
fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(feature = "server")]
/// base64url (no padding) to bytes.
pub(crate) fn base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Leftover bits must be zero padding (fewer than 6).
    (bits < 6 && acc & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(feature = "server")]
fn field(value: Option<String>) -> Result<Option<String>, Refusal> {
    match value {
        Some(v) if v.trim().is_empty() || v.chars().count() > MAX_FIELD || v.chars().any(char::is_control) => Err(Refusal::BadField),
        other => Ok(other),
    }
}

#[cfg(feature = "server")]
fn verified(
    id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    segment: Option<String>,
    manager: Option<String>,
    form: Form,
    context: crate::vocab::Pairs,
) -> Result<Verified, Refusal> {
    let id = field(id)?.ok_or(Refusal::BadField)?;
    let segment = match field(segment)? {
        Some(s) => Segment::parse(&s).ok_or(Refusal::BadField)?,
        None => Segment::Free,
    };
    // Signed context keeps the host context's limits: a ticket's
    // context is the same shape whoever vouches for it.
    let fits = |(key, value): (&String, &String)| {
        crate::vocab::is_key(key) && value.chars().count() <= crate::vocab::MAX_CONTEXT_VALUE && !value.chars().any(char::is_control)
    };
    if context.len() > crate::vocab::MAX_CONTEXT_KEYS || !context.iter().all(fits) {
        return Err(Refusal::BadField);
    }
    Ok(Verified { id, email: field(email)?, name: field(name)?, segment, account_manager: field(manager)?, form, context })
}

#[cfg(feature = "server")]
#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[cfg(feature = "server")]
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    account_manager: Option<String>,
    exp: Option<i64>,
    #[serde(default)]
    context: crate::vocab::Pairs,
}

#[cfg(feature = "server")]
/// Checks a claim with the site's identity secret at `now` (seconds since
/// the epoch). `accept_v1` is the site's `identity_v1`: whether an HMAC
/// claim without `exp` may still be checked in the ambiguous v1 form.
///
/// # Errors
/// Why it is not trusted.
pub fn verify(secret: &[u8], claim: &IdentityClaim, now: i64, accept_v1: bool) -> Result<Verified, Refusal> {
    if let Some(token) = &claim.token {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Refusal::Malformed);
        };
        let header: Header = base64url(header).and_then(|h| serde_json::from_slice(&h).ok()).ok_or(Refusal::Malformed)?;
        if header.alg != "HS256" {
            return Err(Refusal::Malformed);
        }
        let given = base64url(signature).ok_or(Refusal::Malformed)?;
        let signed = token.len() - signature.len() - 1;
        let expected = mac(secret, token.get(..signed).unwrap_or("").as_bytes());
        if !bool::from(expected.as_slice().ct_eq(&given)) {
            return Err(Refusal::BadSignature);
        }
        let claims: Claims = base64url(payload).and_then(|p| serde_json::from_slice(&p).ok()).ok_or(Refusal::Malformed)?;
        check_exp(claims.exp, now)?;
        return verified(claims.sub, claims.email, claims.name, claims.segment, claims.account_manager, Form::Jwt, claims.context);
    }
    let signature = claim.signature.as_deref().ok_or(Refusal::Unsigned)?;
    let given = hex(signature).ok_or(Refusal::BadSignature)?;
    // `exp` selects the form; the form's own text is what is checked, and
    // the v2 text starts with its version line, so a claim cannot pass
    // one form's signature off as the other's.
    let (text, form) = match claim.exp {
        Some(_) => (canonical(claim), Form::Hmac),
        None if accept_v1 => (canonical_v1(claim), Form::HmacV1),
        None => return Err(Refusal::Expired),
    };
    let expected = mac(secret, text.as_bytes());
    if !bool::from(expected.as_slice().ct_eq(&given)) {
        return Err(Refusal::BadSignature);
    }
    if form == Form::Hmac {
        check_exp(claim.exp, now)?;
    }
    // v1 never signed context: only v2 and JWT vouch for it.
    let context = if form == Form::Hmac { claim.context.clone() } else { crate::vocab::Pairs::new() };
    verified(claim.id.clone(), claim.email.clone(), claim.name.clone(), claim.segment.clone(), claim.account_manager.clone(), form, context)
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"site identity secret";
    /// A time the README's vectors are valid at: an hour before their `exp`.
    const NOW: i64 = 1_893_456_000 - 3600;

    fn claim(pairs: &[(&str, &str)]) -> IdentityClaim {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
        IdentityClaim {
            id: get("id"),
            email: get("email"),
            name: get("name"),
            segment: get("segment"),
            account_manager: get("account_manager"),
            exp: get("exp").and_then(|e| e.parse().ok()),
            signature: get("signature"),
            token: get("token"),
            context: pairs.iter().filter_map(|(k, v)| Some((k.strip_prefix("context.")?.to_owned(), (*v).to_owned()))).collect(),
        }
    }

    /// A claim over these fields, signed (v2) as the product's backend signs it.
    fn signed(pairs: &[(&str, &str)]) -> IdentityClaim {
        let mut c = claim(pairs);
        c.signature = Some(sign(SECRET, &c));
        c
    }

    // Test vectors: the README quotes these lines (the README's Node,
    // Python and Rust snippets produce them), and
    // `the_readme_vectors_are_what_sign_computes` reads them back from it.
    const HMAC_VECTOR_TEXT: &str = "buoy-identity-v2\nemail:15:ada@example.com\nexp:10:1893456000\nid:4:u_42\nsegment:10:enterprise\n";
    const HMAC_VECTOR_SIGNATURE: &str = "d1be9dcd2b198f4d5e79e3311d4a2b7b37d2ed52c1d4b3b9179421fcc4e72c3c";
    // HS256 over the header {"alg":"HS256","typ":"JWT"} and the payload
    // {"sub":"u_42","email":"ada@example.com","segment":"enterprise","exp":1893456000}.
    const JWT_VECTOR: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1XzQyIiwiZW1haWwiOiJhZGFAZXhhbXBsZS5jb20iLCJzZWdtZW50IjoiZW50ZXJwcmlzZSIsImV4cCI6MTg5MzQ1NjAwMH0";
    const JWT_VECTOR_SIGNATURE: &str = "NV38KvFLcuT4mxBQPVJgYmiRsGDc-Fks8s9L2Yk9hxw";

    fn b64(bytes: &[u8]) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn jwt(secret: &[u8], unsigned: &str) -> String {
        format!("{unsigned}.{}", b64(&mac(secret, unsigned.as_bytes())))
    }

    #[test]
    fn signed_context_is_verified_and_covered_by_the_signature() {
        let exp = ("exp", "1893456000");
        let c = signed(&[("id", "u_42"), ("context.plan", "enterprise"), ("context.account_id", "acc_9"), exp]);
        assert!(canonical(&c).contains("context.account_id:5:acc_9\ncontext.plan:10:enterprise\n"));
        let v = verify(SECRET, &c, NOW, false).map(|v| v.context.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>());
        assert_eq!(v, Ok(vec![("account_id".to_owned(), "acc_9".to_owned()), ("plan".to_owned(), "enterprise".to_owned())]));
        // Context added or changed after signing: refused.
        let mut edited = c;
        edited.context.insert("plan".into(), "free".into());
        assert_eq!(verify(SECRET, &edited, NOW, false), Err(Refusal::BadSignature));
        // Over the host context's limits, even signed: refused.
        let long = "v".repeat(crate::vocab::MAX_CONTEXT_VALUE + 1);
        assert_eq!(verify(SECRET, &signed(&[("id", "u_42"), ("context.plan", &long), exp]), NOW, false), Err(Refusal::BadField));
        // A JWT's `context` claim.
        let payload = r#"{"sub":"u_42","exp":1893456000,"context":{"plan":"pro"}}"#;
        let token = jwt(SECRET, &format!("{}.{}", b64(br#"{"alg":"HS256"}"#), b64(payload.as_bytes())));
        let v = verify(SECRET, &IdentityClaim { token: Some(token), ..IdentityClaim::default() }, NOW, false);
        assert_eq!(v.map(|v| v.context.get("plan").cloned()), Ok(Some("pro".to_owned())));
    }

    #[test]
    fn only_a_signature_or_a_token_makes_a_claim_signed() {
        assert!(!claim(&[("id", "u_42"), ("segment", "enterprise")]).is_signed());
        assert!(claim(&[("id", "u_42"), ("signature", "00")]).is_signed());
        assert!(claim(&[("token", "a.b.c")]).is_signed());
    }

    #[test]
    fn the_readme_vectors_are_what_sign_computes() {
        let c = claim(&[("id", "u_42"), ("email", "ada@example.com"), ("segment", "enterprise"), ("exp", "1893456000")]);
        assert_eq!(canonical(&c), HMAC_VECTOR_TEXT);
        assert_eq!(sign(SECRET, &c), HMAC_VECTOR_SIGNATURE);
        assert_eq!(jwt(SECRET, JWT_VECTOR).rsplit('.').next(), Some(JWT_VECTOR_SIGNATURE));
        // The README shows them exactly so (the text with its line breaks as `\n`).
        let readme = include_str!("../../README.md");
        for quoted in [HMAC_VECTOR_TEXT.replace('\n', "\\n"), HMAC_VECTOR_SIGNATURE.into(), JWT_VECTOR_SIGNATURE.into()] {
            assert!(readme.contains(&quoted), "the README's test vectors lack {quoted}");
        }
        assert!(readme.contains(r#"{"sub":"u_42","email":"ada@example.com","segment":"enterprise","exp":1893456000}"#));
    }

    #[test]
    fn an_hmac_identity_covers_every_field_it_carries() {
        let c = signed(&[("id", "u_42"), ("email", "ada@example.com"), ("segment", "enterprise"), ("exp", "1893456000")]);
        let v = verify(SECRET, &c, NOW, false);
        assert_eq!(v.map(|v| (v.id, v.segment, v.form)), Ok(("u_42".to_owned(), Segment::Enterprise, Form::Hmac)));
        // Signed over the id alone, then a segment added: refused.
        let mut only_id = signed(&[("id", "u_42"), ("exp", "1893456000")]);
        assert!(verify(SECRET, &only_id, NOW, false).is_ok_and(|v| v.segment == Segment::Free));
        only_id.segment = Some("enterprise".into());
        assert_eq!(verify(SECRET, &only_id, NOW, false), Err(Refusal::BadSignature));
        // A later exp than was signed: refused.
        let stretched = IdentityClaim { exp: Some(1_893_456_000 + 60), ..c.clone() };
        assert_eq!(verify(SECRET, &stretched, NOW, false), Err(Refusal::BadSignature));
        // Another secret, an empty, a random or a truncated signature: refused.
        let other = IdentityClaim { signature: Some(sign(b"another secret", &c)), ..c.clone() };
        assert_eq!(verify(SECRET, &other, NOW, false), Err(Refusal::BadSignature));
        for bad in ["", "zz", &"0".repeat(64), &c.signature.clone().unwrap_or_default()[..62]] {
            let bad = IdentityClaim { signature: Some(bad.to_owned()), ..c.clone() };
            assert_eq!(verify(SECRET, &bad, NOW, false), Err(Refusal::BadSignature), "{:?}", bad.signature);
        }
        assert_eq!(verify(SECRET, &claim(&[("id", "u_42"), ("segment", "enterprise")]), NOW, true), Err(Refusal::Unsigned));
        let unknown = signed(&[("id", "u_42"), ("segment", "platinum"), ("exp", "1893456000")]);
        assert_eq!(verify(SECRET, &unknown, NOW, false), Err(Refusal::BadField));
    }

    #[test]
    fn v1_name_with_newline_cannot_forge_segment_under_v2() {
        // The product signs a user-chosen name that holds a line break.
        let chosen = [("id", "u_1"), ("name", "Eve\nsegment=enterprise")];
        let presented = |signature: String, exp: Option<&str>| {
            let mut pairs = vec![("id", "u_1"), ("name", "Eve"), ("segment", "enterprise")];
            pairs.extend(exp.map(|e| ("exp", e)));
            IdentityClaim { signature: Some(signature), ..claim(&pairs) }
        };
        // In v1 the signed text re-splits into a name and a segment: the
        // forgery goes through wherever a site still accepts v1.
        let v1 = sign_v1(SECRET, &claim(&chosen));
        assert_eq!(canonical_v1(&claim(&chosen)), canonical_v1(&presented(String::new(), None)));
        assert_eq!(verify(SECRET, &presented(v1.clone(), None), NOW, true).map(|v| v.segment), Ok(Segment::Enterprise));
        assert_eq!(verify(SECRET, &presented(v1, None), NOW, false).map(|v| v.segment), Err(Refusal::Expired));
        // In v2 the length prefix keeps the name one value: refused.
        let mut v2_pairs = chosen.to_vec();
        v2_pairs.push(("exp", "1893456000"));
        let v2 = sign(SECRET, &claim(&v2_pairs));
        for accept_v1 in [false, true] {
            assert_eq!(verify(SECRET, &presented(v2.clone(), Some("1893456000")), NOW, accept_v1), Err(Refusal::BadSignature));
            assert_eq!(
                verify(SECRET, &presented(v2.clone(), None), NOW, accept_v1).map(|v| v.segment),
                Err(if accept_v1 { Refusal::BadSignature } else { Refusal::Expired })
            );
        }
    }

    #[test]
    fn a_v1_signature_is_refused_when_identity_v1_is_off() {
        let c = IdentityClaim { signature: Some(sign_v1(SECRET, &claim(&[("id", "u_42")]))), ..claim(&[("id", "u_42")]) };
        assert_eq!(verify(SECRET, &c, NOW, true).map(|v| (v.id, v.form)), Ok(("u_42".to_owned(), Form::HmacV1)));
        assert_eq!(verify(SECRET, &c, NOW, false), Err(Refusal::Expired));
        // A v1 signature with an exp added is checked as v2: refused.
        let with_exp = IdentityClaim { exp: Some(NOW + 60), ..c };
        assert_eq!(verify(SECRET, &with_exp, NOW, true), Err(Refusal::BadSignature));
    }

    #[test]
    fn hmac_identity_without_exp_is_refused() {
        // What a v2 signer makes without exp: no site accepts it.
        let no_exp = signed(&[("id", "u_1")]);
        for accept_v1 in [false, true] {
            assert!(verify(SECRET, &no_exp, NOW, accept_v1).is_err(), "accept_v1 {accept_v1}");
        }
        assert_eq!(verify(SECRET, &no_exp, NOW, false), Err(Refusal::Expired));
        // exp: the JWT's rule, in the future and at most a day ahead.
        let cases = [
            ("an hour ahead", NOW + 3600, Ok(())),
            ("a day ahead", NOW + MAX_LIFETIME_SECS, Ok(())),
            ("a day and a second ahead", NOW + MAX_LIFETIME_SECS + 1, Err(Refusal::Expired)),
            ("now", NOW, Err(Refusal::Expired)),
            ("a second ago", NOW - 1, Err(Refusal::Expired)),
            ("far future", i64::MAX, Err(Refusal::Expired)),
            ("negative", -1, Err(Refusal::Expired)),
        ];
        for (name, exp, expected) in cases {
            let c = signed(&[("id", "u_1"), ("exp", &exp.to_string())]);
            assert_eq!(verify(SECRET, &c, NOW, false).map(|_| ()), expected, "{name}");
        }
    }

    #[test]
    fn canonical_pairs_sort_by_key_and_sign_only_known_keys() {
        let text = canonical_pairs([("id", "u_1"), ("context.plan", "pro"), ("exp", "9")]);
        assert_eq!(text.as_deref(), Ok("buoy-identity-v2\ncontext.plan:3:pro\nexp:1:9\nid:3:u_1\n"));
        assert_eq!(canonical_pairs([]).as_deref(), Ok("buoy-identity-v2\n"));
        // The length is in UTF-8 bytes.
        assert_eq!(canonical_pairs([("name", "Zoë")]).as_deref(), Ok("buoy-identity-v2\nname:4:Zoë\n"));
        for bad in ["role", "", "context.", "context.Plan", "context.a:b", "context.a\nb", "context.a.b", "ID", "exp "] {
            assert_eq!(canonical_pairs([(bad, "x")]), Err(Refusal::BadKey), "{bad:?}");
        }
        assert_eq!(canonical_pairs([("context.x", &*"a".repeat(3)), ("context.x", "b")]), Err(Refusal::BadKey), "twice");
        assert!(canonical_pairs([(&*format!("context.{}", "a".repeat(MAX_CONTEXT_KEY)), "x")]).is_ok());
        assert!(canonical_pairs([(&*format!("context.{}", "a".repeat(MAX_CONTEXT_KEY + 1)), "x")]).is_err());
    }

    #[test]
    fn a_jwt_must_be_hs256_signed_and_unexpired() {
        let token = jwt(SECRET, JWT_VECTOR);
        // The vector PyJWT-style code computes (see the README).
        assert_eq!(token.rsplit('.').next(), Some("NV38KvFLcuT4mxBQPVJgYmiRsGDc-Fks8s9L2Yk9hxw"));
        let at = |now: i64, token: &str| verify(SECRET, &claim(&[("token", token)]), now, false);
        let v = at(1_893_456_000 - 60, &token);
        assert_eq!(
            v.as_ref().map(|v| (v.id.as_str(), v.segment, v.email.as_deref())),
            Ok(("u_42", Segment::Enterprise, Some("ada@example.com")))
        );
        assert_eq!(at(1_893_456_000, &token), Err(Refusal::Expired), "expired at exp");
        assert_eq!(at(1_893_456_000 - MAX_LIFETIME_SECS - 1, &token), Err(Refusal::Expired), "too long-lived");
        assert_eq!(at(0, &jwt(b"another secret", JWT_VECTOR)), Err(Refusal::BadSignature));
        // No exp at all.
        let no_exp = jwt(SECRET, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIn0");
        assert_eq!(at(0, &no_exp), Err(Refusal::Expired));
        // alg "none", and garbage.
        let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1XzQyIiwiZXhwIjoxODkzNDU2MDAwfQ.";
        assert_eq!(at(0, none), Err(Refusal::Malformed));
        for garbage in ["", "a.b", "a.b.c.d", "!!.??.**"] {
            assert!(at(0, garbage).is_err(), "{garbage}");
        }
        // A payload edited after signing (segment changed) no longer verifies.
        let (head, _) = token.rsplit_once('.').unwrap_or_default();
        let signature = token.rsplit('.').next().unwrap_or_default();
        let edited = format!("{}.{signature}", head.replace("ZW50ZXJwcmlzZ", "YnVzaW5lc3Nz"));
        assert_eq!(at(0, &edited), Err(Refusal::BadSignature));
    }

    // proptest does not build for wasm32; these run on the host.
    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// Reads a v2 canonical text back into its pairs: that every text
        /// has exactly one reading is what makes the form injective.
        fn parse(text: &str) -> Option<Vec<(String, String)>> {
            let mut rest = text.strip_prefix(VERSION_LINE)?.strip_prefix('\n')?;
            let mut pairs = Vec::new();
            while !rest.is_empty() {
                let (key, after) = rest.split_once(':')?;
                let (len, after) = after.split_once(':')?;
                let len: usize = len.parse().ok()?;
                let value = after.get(..len)?;
                rest = after.get(len..)?.strip_prefix('\n')?;
                pairs.push((key.to_owned(), value.to_owned()));
            }
            Some(pairs)
        }

        /// The signed fields of a claim as pairs (what canonical covers).
        fn fields(c: &IdentityClaim) -> Vec<(String, String)> {
            let exp = c.exp.map(|e| e.to_string());
            let mut out: Vec<(String, String)> = [
                ("id", &c.id),
                ("email", &c.email),
                ("name", &c.name),
                ("segment", &c.segment),
                ("account_manager", &c.account_manager),
                ("exp", &exp),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v.clone()?)))
            .collect();
            out.sort();
            out
        }

        /// Values rich in the characters a naive form splits on.
        fn value() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(
                proptest::string::string_regex("([\\n=:\\x00a-z0-9]|segment=enterprise|id:4:|\\PC){0,12}")
                    .unwrap_or_else(|e| unreachable!("{e}")),
            )
        }

        prop_compose! {
            fn any_claim()(id in value(), email in value(), name in value(), segment in value(), account_manager in value(),
                           exp in proptest::option::of(any::<i64>())) -> IdentityClaim {
                IdentityClaim { id, email, name, segment, account_manager, exp, signature: None, token: None, context: crate::vocab::Pairs::new() }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..Default::default() })]

            /// Random tokens and signatures never verify (and never panic).
            #[test]
            fn random_credentials_are_anonymous(token in "[A-Za-z0-9_.=+/-]{0,200}", signature in "[0-9a-fA-Fxz]{0,80}", segment in "[a-z]{0,12}") {
                let by_token = claim(&[("token", &token)]);
                prop_assert!(verify(SECRET, &by_token, 1_800_000_000, true).is_err());
                let by_signature = claim(&[("id", "u_1"), ("segment", &segment), ("signature", &signature), ("exp", "1800000060")]);
                prop_assert!(verify(SECRET, &by_signature, 1_800_000_000, true).is_err());
            }

            /// The canonical text reads back to exactly the claim's fields,
            /// whatever they hold (`\n`, `=`, `:`, NUL): two different
            /// claims never give the same bytes.
            #[test]
            fn the_canonical_identity_is_injective(a in any_claim(), b in any_claim()) {
                prop_assert_eq!(parse(&canonical(&a)), Some(fields(&a)));
                prop_assert_eq!(canonical(&a) == canonical(&b), fields(&a) == fields(&b));
            }

            /// The v1 attack, in both forms' syntax: a name that holds a line
            /// break and another field (`Eve\nsegment=enterprise`, or
            /// `Eve\nsegment:10:enterprise`) never signs the same text as
            /// that name and that field.
            #[test]
            fn a_name_holding_another_field_never_signs_as_that_field(
                name in "[a-z]{0,6}", value in "[a-z@.]{1,10}", key in proptest::sample::select(vec!["id", "email", "segment", "account_manager"]),
            ) {
                for injected in [format!("{name}\n{key}={value}"), format!("{name}\n{key}:{}:{value}", value.len())] {
                    let joined = claim(&[("id", "u_1"), ("name", &injected)]);
                    let split = claim(&[("id", "u_1"), ("name", &name), (key, &value)]);
                    prop_assert_ne!(canonical(&joined), canonical(&split), "{:?}", injected);
                }
            }

            /// Any set of pairs with signable keys reads back sorted, as given.
            #[test]
            fn canonical_pairs_read_back(pairs in proptest::collection::btree_map("(id|email|name|exp|context\\.[a-z0-9_]{1,5})", "(\\PC|\\n|\\x00){0,10}", 0..6)) {
                let text = canonical_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let expected: Vec<(String, String)> = pairs.into_iter().collect();
                prop_assert_eq!(text.ok().as_deref().and_then(parse), Some(expected));
            }
        }
    }

    #[test]
    fn base64url_decodes_without_padding_and_refuses_other_alphabets() {
        assert_eq!(base64url("eyJhbGciOiJIUzI1NiJ9").as_deref(), Some(br#"{"alg":"HS256"}"#.as_slice()));
        assert_eq!(base64url(""), Some(vec![]));
        assert_eq!(base64url("ab+/"), None);
        assert_eq!(base64url("ab=="), None);
    }
}
