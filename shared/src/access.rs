//! Cloudflare Access as the agents' sign-in: the rules for the
//! `Cf-Access-Jwt-Assertion` JWT that Access adds to every request it
//! lets through to `/v1/agent/*`.
//!
//! - Only `RS256` is accepted ([`parse`]): a token whose header says
//!   `none`, `HS256` or anything else is refused before any key is looked
//!   at, so neither an unsigned token nor one "signed" with the public key
//!   as an HMAC secret can pass.
//! - The key is the team's, found by the header's `kid` in the team's JWKS
//!   (`<team domain>/cdn-cgi/access/certs`, [`certs_url`]); [`KeyCache`]
//!   says when the worker must fetch the JWKS again: when it has none,
//!   when its copy is older than [`JWKS_TTL_MS`], or when a token names a
//!   key id it lacks (rotation), at most once per [`REFETCH_MIN_MS`].
//! - The signature itself is checked by the runtime's WebCrypto
//!   (RSASSA-PKCS1-v1_5, SHA-256), never by code here.
//! - Then the claims ([`check_claims`]): `aud` holds the application's AUD
//!   tag, `iss` is the team domain, `exp`, `nbf` and `iat` hold at `now`
//!   within [`LEEWAY_SECS`]; the token names a person (`email`) or a
//!   service token (`common_name`, its Client ID): [`Principal`].

use serde::Deserialize;

/// The header Access adds with the signed token.
pub const ACCESS_HEADER: &str = "cf-access-jwt-assertion";
/// The clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: i64 = 60;
/// How long a fetched JWKS is used before it is fetched again, in
/// milliseconds (Access rotates its keys every six weeks, and publishes
/// the next key before signing with it).
pub const JWKS_TTL_MS: i64 = 3_600_000;
/// The least time between two fetches that a token naming an unknown key
/// id may cause, in milliseconds: a stream of forged key ids costs the
/// team's certs endpoint at most one request per isolate in this time.
pub const REFETCH_MIN_MS: i64 = 30_000;
/// The longest token read, in bytes (Access's are about 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token is not accepted; each is a `401 access_denied` whose
/// detail is [`Refusal::detail`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not three base64url parts of JSON, or too long.
    Malformed,
    /// The header's `alg` is not `RS256`.
    Algorithm,
    /// The header names no key id.
    NoKeyId,
    /// The team's JWKS has no RSA key with this id, even fetched again.
    UnknownKey,
    /// The team's JWKS could not be fetched or read.
    KeysUnavailable,
    /// The signature does not verify with the key.
    Signature,
    /// `exp` is past (beyond the leeway), or missing.
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    NotYetValid,
    /// `aud` does not hold the application's AUD tag.
    Audience,
    /// `iss` is not the team domain.
    Issuer,
    /// Neither an `email` nor a service token's `common_name`.
    NoSubject,
}

impl Refusal {
    /// What the problem's `detail` says.
    pub const fn detail(self) -> &'static str {
        match self {
            Self::Malformed => "The Cf-Access-Jwt-Assertion is not a JWT.",
            Self::Algorithm => "The Access token is not signed with RS256.",
            Self::NoKeyId => "The Access token's header names no key id (kid).",
            Self::UnknownKey => "The Access token is signed with a key the team does not publish.",
            Self::KeysUnavailable => "The team's Access signing keys could not be fetched.",
            Self::Signature => "The Access token's signature does not verify.",
            Self::Expired => "The Access token has expired.",
            Self::NotYetValid => "The Access token is not valid yet.",
            Self::Audience => "The Access token is for another Access application (aud).",
            Self::Issuer => "The Access token is from another team domain (iss).",
            Self::NoSubject => "The Access token names neither an email nor a service token.",
        }
    }
}

/// The token's header.
#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// `aud` is a string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims Buoy reads.
#[derive(Debug, Deserialize)]
pub struct Claims {
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    common_name: Option<String>,
}

/// A token split and read, its signature not yet checked.
#[derive(Debug)]
pub struct Parsed {
    /// The key id the header names.
    pub kid: String,
    /// `header.payload`, the bytes the signature covers.
    pub signed: Vec<u8>,
    /// The signature's bytes.
    pub signature: Vec<u8>,
    /// The payload's claims, to check once the signature holds.
    pub claims: Claims,
}

/// Who a valid token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A person, by their email (lower case).
    Person(String),
    /// A service token, by its Client ID (`….access`).
    Service(String),
}

impl Principal {
    /// The key an agent record is found by: the email, or the Client ID.
    pub fn key(&self) -> &str {
        match self {
            Self::Person(email) => email,
            Self::Service(id) => id,
        }
    }
}

/// Splits and reads a token: three base64url parts of JSON, `alg` exactly
/// `RS256`, a key id.
///
/// # Errors
/// [`Refusal::Malformed`], [`Refusal::Algorithm`] or [`Refusal::NoKeyId`].
pub fn parse(token: &str) -> Result<Parsed, Refusal> {
    use crate::identity::base64url;
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Refusal::Malformed);
    };
    let header: Header = base64url(header).and_then(|h| serde_json::from_slice(&h).ok()).ok_or(Refusal::Malformed)?;
    if header.alg != "RS256" {
        return Err(Refusal::Algorithm);
    }
    let kid = header.kid.filter(|k| !k.is_empty()).ok_or(Refusal::NoKeyId)?;
    let signature = base64url(signature).filter(|s| !s.is_empty()).ok_or(Refusal::Malformed)?;
    let claims = base64url(payload).and_then(|p| serde_json::from_slice(&p).ok()).ok_or(Refusal::Malformed)?;
    let signed = token.get(..token.len() - signature_text_len(token)).unwrap_or("").as_bytes().to_vec();
    Ok(Parsed { kid, signed, signature, claims })
}

/// The length of the token's last part and the dot before it.
fn signature_text_len(token: &str) -> usize {
    token.rsplit('.').next().map_or(0, |s| s.len() + 1)
}

/// A team domain as `iss` carries it: `https://<team>.cloudflareaccess.com`,
/// without a trailing slash.
fn normalized(domain: &str) -> &str {
    domain.trim_end_matches('/')
}

/// Checks a token's claims (its signature already verified) at `now`
/// (seconds since the epoch) for the application `aud` of `team_domain`.
///
/// # Errors
/// The first claim that does not hold: expiry, then not-before and
/// issued-at, then audience, issuer and subject.
pub fn check_claims(claims: &Claims, team_domain: &str, aud: &str, now: i64) -> Result<Principal, Refusal> {
    match claims.exp {
        Some(exp) if now <= exp.saturating_add(LEEWAY_SECS) => {}
        _ => return Err(Refusal::Expired),
    }
    let future = |t: Option<i64>| t.is_some_and(|t| t > now.saturating_add(LEEWAY_SECS));
    if future(claims.nbf) || future(claims.iat) {
        return Err(Refusal::NotYetValid);
    }
    let audience_ok = match &claims.aud {
        Some(Audience::One(one)) => one == aud,
        Some(Audience::Many(many)) => many.iter().any(|a| a == aud),
        None => false,
    };
    if !audience_ok || aud.is_empty() {
        return Err(Refusal::Audience);
    }
    if claims.iss.as_deref().map(normalized) != Some(normalized(team_domain)) {
        return Err(Refusal::Issuer);
    }
    let email = claims.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let service = claims.common_name.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match (email, service) {
        (Some(email), _) if crate::ticket::is_plausible_email(email) => Ok(Principal::Person(email.to_lowercase())),
        (None, Some(id)) => Ok(Principal::Service(id.to_owned())),
        _ => Err(Refusal::NoSubject),
    }
}

/// The team's JWKS URL.
pub fn certs_url(team_domain: &str) -> String {
    format!("{}/cdn-cgi/access/certs", normalized(team_domain))
}

/// One RSA public key of the team's JWKS, as WebCrypto imports it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Jwk {
    /// The key id tokens name.
    pub kid: String,
    /// `RSA`.
    pub kty: String,
    /// The modulus, base64url.
    pub n: String,
    /// The exponent, base64url.
    pub e: String,
}

/// Reads a JWKS document: its RSA keys with an id, modulus and exponent
/// (any other key is left out).
///
/// # Errors
/// When it is not a JWKS (`{"keys": [...]}`).
pub fn read_jwks(body: &[u8]) -> Result<Vec<Jwk>, Refusal> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|_| Refusal::KeysUnavailable)?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| k.kty == "RSA" && !k.kid.is_empty() && !k.n.is_empty() && !k.e.is_empty())
        .collect())
}

/// An isolate's copy of the team's keys, and when to fetch them again.
#[derive(Clone, Debug, Default)]
pub struct KeyCache {
    keys: Vec<Jwk>,
    /// When the keys were last fetched (ms since the epoch).
    fetched: Option<i64>,
    /// When a fetch was last tried, whether it worked or not.
    tried: Option<i64>,
}

impl KeyCache {
    /// The key with this id, if the copy has it.
    pub fn key(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Whether a token naming `kid` at `now` (ms) calls for a fetch: never
    /// within [`REFETCH_MIN_MS`] of the last try (so a stream of forged
    /// key ids, or a certs endpoint that is down, costs one fetch in that
    /// time); else when there is no copy, the copy is past
    /// [`JWKS_TTL_MS`], or it lacks `kid` (the team rotated its keys).
    pub fn must_fetch(&self, kid: &str, now: i64) -> bool {
        if self.tried.is_some_and(|at| now.saturating_sub(at) < REFETCH_MIN_MS) {
            return false;
        }
        match self.fetched {
            None => true,
            Some(at) => now.saturating_sub(at) >= JWKS_TTL_MS || self.key(kid).is_none(),
        }
    }

    /// How many keys the copy holds.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Keeps freshly fetched keys, fetched at `now` (ms).
    pub fn store(&mut self, keys: Vec<Jwk>, now: i64) {
        self.keys = keys;
        self.fetched = Some(now);
        self.tried = Some(now);
    }

    /// Notes a failed fetch at `now`: the old keys stay in use.
    pub fn failed(&mut self, now: i64) {
        self.tried = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "https://buoy.cloudflareaccess.com";
    const AUD: &str = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
    const NOW: i64 = 1_700_000_000;

    fn b64(bytes: &[u8]) -> String {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    fn token(header: &str, claims: &serde_json::Value) -> String {
        format!("{}.{}.{}", b64(header.as_bytes()), b64(claims.to_string().as_bytes()), b64(b"signature-bytes"))
    }

    fn claims(value: serde_json::Value) -> Claims {
        serde_json::from_value(value).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn good() -> serde_json::Value {
        serde_json::json!({"aud": [AUD], "iss": TEAM, "exp": NOW + 600, "iat": NOW - 5, "nbf": NOW - 5, "email": "Ada@Lumen.example"})
    }

    #[test]
    fn only_rs256_with_a_key_id_is_read() {
        let parsed = parse(&token(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#, &good())).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.signature, b"signature-bytes");
        let text = token(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#, &good());
        assert_eq!(parsed.signed.len() + 1 + b64(b"signature-bytes").len(), text.len(), "the signed part is header.payload");
        for alg in [
            r#"{"alg":"none","kid":"k1"}"#,
            r#"{"alg":"HS256","kid":"k1"}"#,
            r#"{"alg":"rs256","kid":"k1"}"#,
            r#"{"alg":"RS512","kid":"k1"}"#,
        ] {
            assert_eq!(parse(&token(alg, &good())).err(), Some(Refusal::Algorithm), "{alg}");
        }
        assert_eq!(parse(&token(r#"{"alg":"RS256"}"#, &good())).err(), Some(Refusal::NoKeyId));
        assert_eq!(parse(&token(r#"{"alg":"RS256","kid":""}"#, &good())).err(), Some(Refusal::NoKeyId));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good_token = token(r#"{"alg":"RS256","kid":"k1"}"#, &good());
        let unsigned = good_token.rsplit_once('.').map(|(head, _)| format!("{head}.")).unwrap_or_default();
        for bad in ["", "a.b", "a.b.c.d", "not base64!.x.y", &unsigned, &format!("{good_token}x+"), &"a".repeat(MAX_TOKEN_BYTES + 1)] {
            assert_eq!(parse(bad).err(), Some(Refusal::Malformed), "{bad:.40}");
        }
    }

    #[test]
    fn good_claims_name_the_person_in_lower_case() {
        assert_eq!(check_claims(&claims(good()), TEAM, AUD, NOW), Ok(Principal::Person("ada@lumen.example".into())));
        let mut one = good();
        one["aud"] = serde_json::json!(AUD);
        assert!(check_claims(&claims(one), &format!("{TEAM}/"), AUD, NOW).is_ok(), "aud as a string; a trailing slash on the domain");
    }

    #[test]
    fn each_claim_is_checked_with_the_leeway() {
        let with = |key: &str, value: serde_json::Value| {
            let mut c = good();
            c[key] = value;
            check_claims(&claims(c), TEAM, AUD, NOW)
        };
        assert_eq!(with("exp", (NOW - LEEWAY_SECS - 1).into()), Err(Refusal::Expired));
        assert!(with("exp", (NOW - LEEWAY_SECS).into()).is_ok(), "within the leeway");
        assert_eq!(with("exp", serde_json::Value::Null), Err(Refusal::Expired), "no exp is no expiry: refused");
        assert_eq!(with("nbf", (NOW + LEEWAY_SECS + 1).into()), Err(Refusal::NotYetValid));
        assert!(with("nbf", (NOW + LEEWAY_SECS).into()).is_ok());
        assert_eq!(with("iat", (NOW + 3600).into()), Err(Refusal::NotYetValid));
        assert_eq!(with("aud", serde_json::json!(["another-app"])), Err(Refusal::Audience));
        assert_eq!(with("aud", serde_json::Value::Null), Err(Refusal::Audience));
        assert_eq!(with("iss", "https://evil.cloudflareaccess.com".into()), Err(Refusal::Issuer));
        assert_eq!(with("iss", serde_json::Value::Null), Err(Refusal::Issuer));
        assert_eq!(with("email", "not-an-address".into()), Err(Refusal::NoSubject));
        assert_eq!(check_claims(&claims(good()), TEAM, "", NOW), Err(Refusal::Audience), "an empty AUD setting matches nothing");
    }

    #[test]
    fn a_service_token_is_named_by_its_client_id() {
        let mut c = good();
        c["email"] = "".into();
        c["common_name"] = "88bf3b6d86161464f6509f7219099e57.access".into();
        assert_eq!(check_claims(&claims(c), TEAM, AUD, NOW), Ok(Principal::Service("88bf3b6d86161464f6509f7219099e57.access".into())));
        let mut neither = good();
        neither["email"] = serde_json::Value::Null;
        assert_eq!(check_claims(&claims(neither), TEAM, AUD, NOW), Err(Refusal::NoSubject));
    }

    #[test]
    fn team_domains_and_their_certs() {
        assert_eq!(certs_url("https://buoy.cloudflareaccess.com/"), "https://buoy.cloudflareaccess.com/cdn-cgi/access/certs");
        assert!(crate::config::is_team_domain(TEAM));
        for bad in ["http://buoy.cloudflareaccess.com", "https://", "buoy.cloudflareaccess.com", "https://a.b/path"] {
            assert!(!crate::config::is_team_domain(bad), "{bad}");
        }
    }

    #[test]
    fn jwks_keep_rsa_keys_with_ids() {
        let body = br#"{"keys":[{"kid":"a","kty":"RSA","alg":"RS256","use":"sig","n":"xyz","e":"AQAB"},
            {"kid":"b","kty":"EC","crv":"P-256","x":"1","y":"2"},{"kty":"RSA","n":"x","e":"AQAB"}],"public_cert":{}}"#;
        let keys = read_jwks(body).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(read_jwks(b"<html>").err(), Some(Refusal::KeysUnavailable));
    }

    #[test]
    fn the_cache_fetches_when_empty_stale_or_rotated_and_bounds_refetches() {
        let key = |kid: &str| Jwk { kid: kid.into(), kty: "RSA".into(), n: "n".into(), e: "AQAB".into() };
        let mut cache = KeyCache::default();
        assert!(cache.must_fetch("a", 0), "nothing cached");
        cache.store(vec![key("a")], 1_000);
        assert!(!cache.must_fetch("a", 1_000 + JWKS_TTL_MS - 1), "a known key within the TTL");
        assert!(cache.must_fetch("a", 1_000 + JWKS_TTL_MS), "past the TTL");
        assert!(!cache.must_fetch("b", 1_000 + REFETCH_MIN_MS - 1), "an unknown key right after a fetch: no second fetch");
        assert!(cache.must_fetch("b", 1_000 + REFETCH_MIN_MS), "an unknown key later: one refetch");
        cache.store(vec![key("a"), key("b")], 40_000);
        assert!(!cache.must_fetch("b", 40_001));
        cache.failed(80_000);
        assert!(cache.key("a").is_some(), "a failed fetch keeps the old keys");
        assert!(!cache.must_fetch("c", 80_000 + REFETCH_MIN_MS - 1), "a failed fetch is not retried at once");
        assert!(cache.must_fetch("c", 80_000 + REFETCH_MIN_MS));
        let mut down = KeyCache::default();
        down.failed(0);
        assert!(!down.must_fetch("a", REFETCH_MIN_MS - 1), "an endpoint that is down is not hammered");
    }
}
