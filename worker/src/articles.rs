//! Articles for agents and for readers outside the panel, from the
//! knowledge base the build published as static assets (the same files
//! the widget reads): the widget page of a language names its search
//! index (`#buoy-data`'s `kb`), the index lists the articles and their
//! pre-parsed files. `buoy_shared::suggested` holds the rules; this
//! module only reads files, behind [`KbFiles`].
//!
//! - `GET /v1/agent/tickets/{id}/articles`: the articles that match a
//!   ticket's subject and first message, by the widget's own search, in
//!   the requester's language, with the link a reply carries.
//! - `GET /v1/articles/{locale}/{id}`: that link's page, the article as
//!   plain HTML (the API's CSP: no script, style or image), for mail
//!   readers; in the panel the same link opens the article in the panel.

use crate::api::{self, App};
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::Kv;
use buoy_shared::headers::widget_page_asset;
use buoy_shared::kb::Article;
use buoy_shared::messages::Locale;
use buoy_shared::problem::Problem;
use buoy_shared::search::{DocMeta, Index};
use buoy_shared::suggested::{self, Suggestion};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use std::rc::Rc;

/// The published site's files, as the build wrote them (Workers Static
/// Assets at the edge, a map in host tests).
pub trait KbFiles {
    /// The text of the file at `path` (such as `/kb/en/index.{hash}.txt`);
    /// `None` when there is none.
    fn read<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>>;
}

impl core::fmt::Debug for dyn KbFiles + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KbFiles")
    }
}

/// The site's files through the `ASSETS` binding.
#[derive(Debug)]
pub struct AssetFiles {
    assets: worker::Fetcher,
    origin: String,
}

impl AssetFiles {
    /// Files of `assets`, asked for on the worker's own `origin`.
    pub const fn new(assets: worker::Fetcher, origin: String) -> Self {
        Self { assets, origin }
    }
}

impl KbFiles for AssetFiles {
    fn read<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move {
            let url = format!("{}{path}", self.origin);
            let mut response = self.assets.fetch(url, None).await.map_err(|e| format!("asset {path}: {e}"))?;
            if response.status_code() != 200 {
                return Ok(None);
            }
            response.text().await.map(Some).map_err(|e| format!("asset {path}: {e}"))
        })
    }
}

/// Files in memory, for host tests.
#[derive(Debug, Default)]
pub struct MemoryKbFiles(pub std::collections::BTreeMap<String, String>);

impl KbFiles for MemoryKbFiles {
    fn read<'a>(&'a self, path: &'a str) -> LocalBoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move { Ok(self.0.get(path).cloned()) })
    }
}

thread_local! {
    /// Parsed search indexes by path: a path names its content (the
    /// build hashes it), so one parsed in this isolate never goes stale.
    static INDEXES: core::cell::RefCell<Vec<(String, Rc<Index>)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// The search index a widget page in `locale` uses; `None` where the
/// deployment publishes no knowledge base.
async fn index_for(files: &dyn KbFiles, locale: Locale) -> Result<Option<Rc<Index>>, AppError> {
    let Some(page) = files.read(&format!("{}index.html", widget_page_asset(locale))).await.map_err(AppError::Internal)? else {
        return Ok(None);
    };
    let Some(path) = suggested::index_path(&page, locale) else { return Ok(None) };
    if let Some(index) = INDEXES.with_borrow(|kept| kept.iter().find(|(p, _)| *p == path).map(|(_, i)| Rc::clone(i))) {
        return Ok(Some(index));
    }
    let text = files.read(&path).await.map_err(AppError::Internal)?.ok_or_else(|| AppError::Internal(format!("{path} is missing")))?;
    let index = Rc::new(Index::parse(&text).map_err(|e| AppError::Internal(format!("{path}: {e}")))?);
    INDEXES.with_borrow_mut(|kept| {
        // A deploy changes the paths; an isolate keeps a few at most.
        if kept.len() >= 8 {
            kept.remove(0);
        }
        kept.push((path, Rc::clone(&index)));
    });
    Ok(Some(index))
}

/// An article of an index, read from its pre-parsed file.
async fn article(files: &dyn KbFiles, doc: &DocMeta) -> Result<Article, AppError> {
    let text =
        files.read(&doc.file).await.map_err(AppError::Internal)?.ok_or_else(|| AppError::Internal(format!("{} is missing", doc.file)))?;
    serde_json::from_str(&text).map_err(|e| AppError::Internal(format!("{}: {e}", doc.file)))
}

#[derive(Serialize)]
struct Suggested {
    /// The requester's language, which the links ask for.
    locale: &'static str,
    /// Best first; empty when no article matches.
    articles: Vec<Suggestion>,
}

/// `GET /v1/agent/tickets/{id}/articles`: the articles that match the
/// ticket's subject and first message (at most
/// [`suggested::SUGGESTED`], best first), found as the widget's search
/// finds them, in the index of the requester's language
/// (`mail_out::requester_locale`: their panel's, else the site's).
///
/// # Errors
/// Not signed in, another site's or a missing ticket (404), a file the
/// build should have published missing.
pub async fn suggested<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let ticket = api::agent_owned(app, &api::agent(app, request).await?, id).await?;
    let site = app.config.site(ticket.site.as_str()).ok_or(Problem::NotFound)?;
    let locale = crate::mail_out::requester_locale(site, &ticket);
    let mut articles = Vec::new();
    if let Some(files) = app.articles {
        if let Some(index) = index_for(files, locale).await? {
            for doc in suggested::matching(&index, &ticket.subject, &ticket.message) {
                articles.push(Suggestion::of(&article(files, doc).await?, locale, app.origin));
            }
        }
    }
    Ok(ApiResponse::json(200, &Suggested { locale: locale.tag(), articles }))
}

/// `GET /v1/articles/{locale}/{id}`: an article link's page, as a reader
/// outside the panel (a mail reader's browser) sees it; a 404 for a
/// language or an article the knowledge base does not have.
///
/// # Errors
/// An unknown language or article (404), a file the build should have published missing.
pub async fn page<K>(app: &App<'_, K>, locale: &str, id: &str) -> Result<ApiResponse, AppError> {
    let locale = Locale::exact(locale).ok_or(Problem::NotFound)?;
    let files = app.articles.ok_or(Problem::NotFound)?;
    let index = index_for(files, locale).await?.ok_or(Problem::NotFound)?;
    let doc = index.docs().iter().find(|d| d.id == id).ok_or(Problem::NotFound)?;
    let article = article(files, doc).await?;
    Ok(ApiResponse {
        status: 200,
        headers: vec![("content-type", "text/html; charset=utf-8".to_owned())],
        body: suggested::page_html(&article).into_bytes(),
    })
}
