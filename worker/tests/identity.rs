//! Verified identity on the host, against the memory store: what a signed
//! identity vouches for stays apart from what was typed; the v1 HMAC form
//! only where a site still accepts it; no HMAC identity without `exp`; and
//! tickets stored before the typed/signed split still read.

mod common;

use buoy_shared::identity::{sign, sign_v1, IdentityClaim};
use buoy_shared::time::Timestamp;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use buoy_worker::store::Kv;
use common::{request, site, str_of, Harness, IDENTITY_SECRET, NOW};
use futures_executor::block_on;
use serde_json::{json, Value};

/// `demo` accepts the v1 form (the default in this release), `strict`
/// has turned it off; both trust the same identity secret.
fn harness() -> Harness {
    let origins = json!(["https://app.example.com"]);
    let config = common::config(&json!({
        "demo": { "name": "Demo", "allowed_origins": origins, "identity_secret": "BUOY_IDENTITY_SECRET" },
        "strict": { "name": "Strict", "allowed_origins": origins, "identity_secret": "BUOY_IDENTITY_SECRET", "identity_v1": false },
    }));
    Harness::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("demo"), token: "demo-agent-token".into() }])
}

fn now_secs() -> i64 {
    Timestamp::parse(NOW).map(|t| t.as_millis() / 1000).unwrap_or_default()
}

fn claim(fields: &[(&str, &str)], exp: Option<i64>) -> IdentityClaim {
    let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
    IdentityClaim {
        id: get("id"),
        email: get("email"),
        name: get("name"),
        segment: get("segment"),
        account_manager: get("account_manager"),
        exp,
        ..IdentityClaim::default()
    }
}

/// The identity a product sends: these fields, `exp` when given, and the
/// signature `signer` computes over them.
fn identity(fields: &[(&str, &str)], exp: Option<i64>, signer: fn(&[u8], &IdentityClaim) -> String) -> Value {
    let mut value: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    if let Some(exp) = exp {
        value.insert("exp".into(), json!(exp));
    }
    value.insert("signature".into(), json!(signer(IDENTITY_SECRET.as_bytes(), &claim(fields, exp))));
    Value::Object(value)
}

/// A v2 identity valid for the next hour.
fn v2(fields: &[(&str, &str)]) -> Value {
    identity(fields, Some(now_secs() + 3600), sign)
}

/// Files a ticket on `site` with the typed name and email below; its id
/// and requester token.
fn file(h: &Harness, site: &str, identity: &Value) -> (String, String) {
    let body = json!({
        "site": site, "name": "Typed Name", "email": "typed@example.com", "type": "bug",
        "subject": "Export fails", "message": "It stops at 99%.", "identity": identity,
    });
    let (status, created, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{created}");
    (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned())
}

/// The ticket as the agents' API shows it (the demo site's agent).
fn agent_view(h: &Harness, id: &str) -> Value {
    h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b"")).1
}

/// The ticket as its requester reads it with their token.
fn requester_view(h: &Harness, id: &str, token: &str) -> Value {
    h.send(&request(Method::Get, &format!("/v1/tickets/{id}"), &[("buoy-requester-token", token)], b"")).1
}

/// `POST /v1/tickets/mine`: the status and the subjects listed.
fn mine(h: &Harness, site: &str, identity: &Value) -> (u16, Vec<String>) {
    let body = json!({ "site": site, "identity": identity });
    let (status, answer, _) =
        h.send(&request(Method::Post, "/v1/tickets/mine", &[("content-type", "application/json")], body.to_string().as_bytes()));
    let subjects = answer["tickets"].as_array().map(|l| l.iter().map(|t| str_of(t, "subject").to_owned()).collect()).unwrap_or_default();
    (status, subjects)
}

#[test]
fn typed_email_is_not_verified_when_identity_signs_only_id() {
    let h = harness();
    let (id, token) = file(&h, "demo", &v2(&[("id", "u_42")]));
    let view = agent_view(&h, &id);
    assert_eq!(
        view["requester"],
        json!({ "typed": { "name": "Typed Name", "email": "typed@example.com" }, "signed": { "user_id": "u_42" } }),
        "the typed email and name stay typed; only the id is signed"
    );
    // Signed email and name sit beside the typed ones, never over them.
    let (id, _) = file(&h, "demo", &v2(&[("id", "u_7"), ("email", "ada@lumen.example"), ("name", "Ada")]));
    assert_eq!(
        agent_view(&h, &id)["requester"],
        json!({
            "typed": { "name": "Typed Name", "email": "typed@example.com" },
            "signed": { "user_id": "u_7", "email": "ada@lumen.example", "name": "Ada" },
        })
    );
    // The requester reads back what they typed.
    let mine = requester_view(&h, view["id"].as_str().unwrap_or_default(), &token);
    assert_eq!((str_of(&mine, "name"), str_of(&mine, "email")), ("Typed Name", "typed@example.com"));
}

#[test]
fn a_v1_signature_is_accepted_only_where_identity_v1_is_on() {
    let h = harness();
    let v1 = identity(&[("id", "u_42"), ("segment", "enterprise")], None, sign_v1);
    let (on, _) = file(&h, "demo", &v1);
    let view = agent_view(&h, &on);
    assert_eq!((view["segment"].clone(), view["requester"]["signed"]["user_id"].clone()), (json!("enterprise"), json!("u_42")));
    assert_eq!(mine(&h, "demo", &v1), (200, vec!["Export fails".to_owned()]));
    // On the strict site the same signature is anonymous, and lists nothing.
    file(&h, "strict", &v1);
    assert_eq!(mine(&h, "strict", &v1).0, 403);
    // A v2 identity works on both.
    let signed = v2(&[("id", "u_42")]);
    assert_eq!(mine(&h, "strict", &signed), (200, vec![]));
    assert_eq!(mine(&h, "demo", &signed), (200, vec!["Export fails".to_owned()]));
}

#[test]
fn v1_name_with_newline_cannot_forge_segment_under_v2() {
    let h = harness();
    // The product signs a name its user chose, line break and all.
    let chosen = [("id", "u_1"), ("name", "Eve\nsegment=enterprise")];
    let forged = |signature: Value, exp: Option<i64>| {
        let mut value = json!({ "id": "u_1", "name": "Eve", "segment": "enterprise", "signature": signature });
        if let Some(exp) = exp {
            value["exp"] = json!(exp);
        }
        value
    };
    let exp = now_secs() + 3600;
    let v2_signature = identity(&chosen, Some(exp), sign)["signature"].clone();
    for site in ["demo", "strict"] {
        let (id, _) = file(&h, site, &forged(v2_signature.clone(), Some(exp)));
        if site == "demo" {
            let view = agent_view(&h, &id);
            assert_eq!((view["segment"].clone(), view["requester"].get("signed")), (json!("free"), None), "{site}");
        }
        assert_eq!(mine(&h, site, &forged(v2_signature.clone(), Some(exp))).0, 403, "{site}");
    }
    // The v1 form is exploitable exactly so: on a site that still accepts it.
    let v1_signature = identity(&chosen, None, sign_v1)["signature"].clone();
    let (id, _) = file(&h, "demo", &forged(v1_signature.clone(), None));
    assert_eq!(agent_view(&h, &id)["segment"], json!("enterprise"), "identity_v1 = true is unsafe for user-chosen values");
    assert_eq!(mine(&h, "strict", &forged(v1_signature, None)).0, 403);
}

#[test]
fn hmac_identity_without_exp_is_refused() {
    let h = harness();
    let now = now_secs();
    for (name, exp) in
        [("no exp", None), ("expired", Some(now - 1)), ("expires now", Some(now)), ("more than a day ahead", Some(now + 86_400 + 1))]
    {
        let identity = identity(&[("id", "u_42"), ("segment", "enterprise")], exp, sign);
        for site in ["demo", "strict"] {
            assert_eq!(mine(&h, site, &identity).0, 403, "{name} on {site}");
        }
        let (id, _) = file(&h, "demo", &identity);
        assert_eq!(agent_view(&h, &id)["segment"], json!("free"), "{name}");
    }
    let fine = identity(&[("id", "u_42")], Some(now + 86_400), sign);
    assert_eq!(mine(&h, "strict", &fine).0, 200, "a day ahead is the limit");
}

#[test]
fn a_ticket_stored_before_the_split_reads_with_its_email_and_name_as_typed() {
    let h = harness();
    let (id, token) = file(&h, "demo", &v2(&[("id", "u_99"), ("segment", "enterprise"), ("account_manager", "Dana")]));
    // The record as the worker stored it before the split: one name and
    // one email (here the signed ones, which overwrote the typed), and a
    // `verified` flag.
    let key = format!("t/{id}");
    let stored: Value = block_on(h.store.kv().get(&key)).ok().flatten().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let mut old = stored;
    old["requester"] =
        json!({ "name": "Grace", "email": "grace@lumen.example", "verified": true, "user_id": "u_99", "account_manager": "Dana" });
    block_on(h.store.kv().put(&key, &old.to_string(), None)).unwrap_or_else(|e| unreachable!("{e:?}"));

    // Agents see the email and name as typed (nothing says they were
    // signed), the user id and account manager as signed, the segment kept.
    let view = agent_view(&h, &id);
    assert_eq!(
        view["requester"],
        json!({ "typed": { "name": "Grace", "email": "grace@lumen.example" }, "signed": { "user_id": "u_99", "account_manager": "Dana" } })
    );
    assert_eq!(view["segment"], json!("enterprise"));
    // The requester reads it as before, and it is still in the user's history.
    let theirs = requester_view(&h, &id, &token);
    assert_eq!(
        (str_of(&theirs, "name"), str_of(&theirs, "email"), str_of(&theirs, "subject")),
        ("Grace", "grace@lumen.example", "Export fails")
    );
    assert_eq!(mine(&h, "demo", &v2(&[("id", "u_99")])), (200, vec!["Export fails".to_owned()]));
    // An old anonymous record reads as typed, unverified.
    old["requester"] = json!({ "name": "Ada", "email": "ada@example.com", "verified": false });
    block_on(h.store.kv().put(&key, &old.to_string(), None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(agent_view(&h, &id)["requester"], json!({ "typed": { "name": "Ada", "email": "ada@example.com" } }));
    assert_eq!(mine(&h, "demo", &v2(&[("id", "u_99")])), (200, vec![]), "an unverified record is nobody's history");
}
