//! Suggested articles (`GET /v1/agent/tickets/{id}/articles`) and an
//! article link's page (`GET /v1/articles/{locale}/{id}`), on the host
//! against the memory store and a knowledge base published as the build
//! publishes it (a widget page per language naming its index, the index,
//! the pre-parsed articles).

mod common;

use buoy_shared::kb::{Article, Block, Inline};
use buoy_shared::search::{build_index, IndexDoc};
use buoy_worker::api::AgentToken;
use buoy_worker::http::{ApiResponse, Method};
use common::{request, site, str_of, Harness, ORIGIN};
use serde_json::{json, Value};

fn article(locale: &str, id: &str, title: &str, text: &str) -> Article {
    Article {
        id: id.into(),
        title: title.into(),
        tags: vec![],
        locale: locale.into(),
        kind: None,
        suggest_on: vec![],
        body: vec![Block::P { c: vec![Inline::Text { s: text.into() }] }],
    }
}

impl Harness {
    /// The `demo` site (German by default) and its agent, with an English
    /// knowledge base of two articles and a German one that translates one
    /// of them (the other stands in, in English).
    fn new() -> Self {
        let config = common::config(&json!({
            "demo": { "name": "Demo", "allowed_origins": ["https://app.example.com"], "locale": "de" },
        }));
        let mut harness =
            Self::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("demo"), token: "demo-agent-token".into() }]);
        let en = [
            article("en", "reset-your-password", "Reset your password", "Use the Forgot password link on the sign-in page."),
            article("en", "download-invoices", "Download invoices", "Billing lists every invoice as a PDF <b>file</b>."),
        ];
        let de = article("de", "reset-your-password", "Passwort zurücksetzen", "Nutzen Sie den Link Passwort vergessen.");
        let files = &mut harness.kb.0;
        let mut publish = |locale: &str, set: &[&Article]| {
            let docs: Vec<IndexDoc> = set
                .iter()
                .map(|a| IndexDoc {
                    id: a.id.clone(),
                    title: a.title.clone(),
                    tags: vec![],
                    text: buoy_shared::kb::plain_text(&a.body),
                    suggest_on: vec![],
                    kind: None,
                    file: format!("/kb/{}/{}.0.json", a.locale, a.id),
                    locale: if a.locale == locale { String::new() } else { a.locale.clone() },
                })
                .collect();
            for a in set {
                files.insert(format!("/kb/{}/{}.0.json", a.locale, a.id), serde_json::to_string(a).unwrap_or_default());
            }
            files.insert(format!("/kb/{locale}/index.0.txt"), build_index(locale, &docs));
        };
        publish("en", &[&en[0], &en[1]]);
        publish("de", &[&de, &en[1]]);
        let page = |tags: &[&str]| {
            let kb: serde_json::Map<String, Value> =
                tags.iter().map(|t| ((*t).to_owned(), json!(format!("/kb/{t}/index.0.txt")))).collect();
            format!("<html><script type=\"application/json\" id=\"buoy-data\">{}</script></html>", json!({ "kb": kb, "docs": [] }))
        };
        files.insert("/widget/index.html".into(), page(&["en"]));
        files.insert("/widget/de/index.html".into(), page(&["de", "en"]));
        files.insert("/widget/fr/index.html".into(), page(&["en"]));
        harness
    }

    /// Files a ticket from a panel in `locale` (none: by the site's default); its id.
    fn file(&self, locale: Option<&str>, subject: &str, message: &str) -> String {
        let mut body = json!({
            "site": "demo", "name": "Ada", "email": "ada@example.com", "type": "account",
            "subject": subject, "message": message,
        });
        if let Some(locale) = locale {
            body["context"] = json!({ "locale": locale });
        }
        let (status, created, _) =
            self.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
        assert_eq!(status, 201, "{created}");
        str_of(&created, "id").to_owned()
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value, ApiResponse) {
        let bearer = format!("Bearer {token}");
        self.send(&request(Method::Get, path, &[("authorization", &bearer)], b""))
    }

    fn suggested(&self, id: &str) -> Value {
        let (status, answer, _) = self.get(&format!("/v1/agent/tickets/{id}/articles"), "demo-agent-token");
        assert_eq!(status, 200, "{answer}");
        answer
    }
}

#[test]
fn a_ticket_gets_the_articles_about_it_in_the_requesters_language() {
    let h = Harness::new();
    let english = h.file(Some("en"), "Can't sign in", "I forgot my password, how do I reset it?");
    let answer = h.suggested(&english);
    assert_eq!(answer["locale"], "en");
    let first = &answer["articles"][0];
    assert_eq!(first["id"], "reset-your-password");
    assert_eq!(first["title"], "Reset your password");
    assert_eq!(first["snippet"], "Use the Forgot password link on the sign-in page.");
    assert_eq!(first["url"], format!("{ORIGIN}/v1/articles/en/reset-your-password"));

    // The site's default language (German) where the panel named none: the translation.
    let german = h.file(None, "Passwort", "Ich habe mein Passwort vergessen");
    let answer = h.suggested(&german);
    assert_eq!((answer["locale"].as_str(), answer["articles"][0]["title"].as_str()), (Some("de"), Some("Passwort zurücksetzen")));
    // An untranslated article stands in, in English, linked in German.
    let invoices = h.file(Some("de"), "Rechnung", "invoices PDF");
    let answer = h.suggested(&invoices);
    assert_eq!(answer["articles"][0]["locale"], "en");
    assert_eq!(answer["articles"][0]["url"], format!("{ORIGIN}/v1/articles/de/download-invoices"));
}

#[test]
fn no_match_is_an_empty_list_and_another_sites_ticket_a_404() {
    let h = Harness::new();
    let id = h.file(Some("en"), "Hello", "Zebras quarrel loudly");
    assert_eq!(h.suggested(&id)["articles"], json!([]));
    let (status, _, _) = h.get(&format!("/v1/agent/tickets/{id}/articles"), "wrong-token");
    assert_eq!(status, 401);
    let (status, _, _) = h.get("/v1/agent/tickets/00000000000000000000000000000000/articles", "demo-agent-token");
    assert_eq!(status, 404);
}

#[test]
fn an_article_link_is_a_readable_page() {
    let h = Harness::new();
    let (status, _, page) = h.send(&request(Method::Get, "/v1/articles/en/download-invoices", &[], b""));
    assert_eq!(status, 200);
    let html = String::from_utf8(page.body.clone()).unwrap_or_default();
    assert!(html.contains("<h1>Download invoices</h1>"), "{html}");
    assert!(html.contains("as a PDF &lt;b&gt;file&lt;/b&gt;."), "text stays text: {html}");
    assert!(page.headers.iter().any(|(n, v)| *n == "content-type" && v.starts_with("text/html")));
    // German readers get the translation, or the stand-in.
    let (_, _, page) = h.send(&request(Method::Get, "/v1/articles/de/reset-your-password", &[], b""));
    assert!(String::from_utf8_lossy(&page.body).contains("Passwort zurücksetzen"));
    for missing in ["/v1/articles/en/no-such-article", "/v1/articles/xx/download-invoices", "/v1/articles/EN/download-invoices"] {
        let (status, problem, _) = h.send(&request(Method::Get, missing, &[], b""));
        assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{missing}");
    }
    let (status, _, _) = h.send(&request(Method::Post, "/v1/articles/en/download-invoices", &[], b""));
    assert_eq!(status, 405);
}
