//! Release artifacts: the static site (loader, widget page, wasm, the
//! knowledge base's index and articles) in `dist/site/`, the worker in
//! `dist/worker/`; the tests' build (their configuration, their extra
//! articles) goes to `target/test-sites/{pid}/` and `dist/test-worker/`.

use crate::cmd::{self, command, node_bin};
use crate::Result;
use buoy_shared::appearance::Appearance;
use buoy_shared::config::Config;
use buoy_shared::headers::widget_page_asset;
use buoy_shared::kb;
use buoy_shared::messages::{text, Locale, MessageId};
use buoy_shared::search::{self, IndexDoc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which worker to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `buoy.toml` compiled into the worker.
    pub config: PathBuf,
    /// Where worker-build writes, relative to the repository root.
    pub worker_out: &'static str,
    /// Where the static site goes, relative to the repository root.
    pub site_out: &'static str,
    /// The folders of Markdown articles, in order.
    pub kb_dirs: Vec<PathBuf>,
    /// A cargo target folder of its own, so that switching between the
    /// development and the test configuration does not rebuild.
    pub target_dir: Option<PathBuf>,
}

impl Options {
    /// The worker of `buoy.toml`, as deployed and as `cargo xtask dev` runs it.
    pub fn dev() -> Self {
        let root = crate::root();
        Self {
            config: root.join("buoy.toml"),
            worker_out: "dist/worker",
            site_out: "dist/site",
            kb_dirs: vec![root.join("kb")],
            target_dir: None,
        }
    }

    /// The worker of `tests/buoy.toml`, which lets any loopback port embed
    /// the demo site (the tests serve it on a free port), and the knowledge
    /// base with the tests' extra articles (`tests/kb`: a hostile one).
    pub fn test() -> Self {
        let root = crate::root();
        Self {
            config: root.join("tests/buoy.toml"),
            worker_out: "dist/test-worker",
            // A folder per process: two test runs at once (two terminals,
            // or a test beside `build --site`) never rewrite each other's site.
            site_out: Box::leak(format!("target/test-sites/{}", std::process::id()).into_boxed_str()),
            kb_dirs: vec![root.join("kb"), root.join("tests/kb")],
            target_dir: Some(root.join("target/test-worker")),
        }
    }
}

/// Where the build put things.
#[derive(Debug, Clone)]
pub struct Built {
    /// The static assets folder.
    pub site: PathBuf,
    /// The worker's entry module.
    pub worker_main: PathBuf,
    /// The bindings its `buoy.toml` asks for: `send_email` for a site
    /// with email, the R2 bucket for a site with attachments.
    pub needs: crate::serve::Needs,
}

/// Builds the site and the worker.
///
/// # Errors
/// When a build step fails.
pub fn all(options: &Options) -> Result<Built> {
    let site = site(options)?;
    let worker_main = worker(options)?;
    let needs = needs(&options.config)?;
    Ok(Built { site, worker_main, needs })
}

/// Whether the `buoy.toml` at `path` has a site with email. For the
/// deployed configuration, says so when `wrangler.toml` lacks the
/// `send_email` binding that `wrangler deploy` then needs (it reads
/// `wrangler.toml` before this build runs, so the build cannot add it).
///
/// The same for attachments and the R2 bucket, both ways: a bucket that
/// no site uses makes `wrangler deploy` need R2 for nothing.
fn needs(path: &Path) -> Result<crate::serve::Needs> {
    let config = Config::from_toml(&cmd::read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let root = crate::root();
    if path == root.join("buoy.toml") {
        let wrangler = cmd::read(&root.join("wrangler.toml"))?;
        if config.uses_email() && !has_send_email(&wrangler) {
            println!(
                "note: buoy.toml has a site with email; for `wrangler deploy`, add to wrangler.toml:\n{}",
                crate::serve::SEND_EMAIL_BLOCK
            );
        }
        match (config.uses_attachments(), has_bucket(&wrangler)) {
            (true, false) => {
                println!(
                    "note: buoy.toml has a site with attachments; for `wrangler deploy`, add to wrangler.toml:\n{}",
                    crate::serve::R2_BLOCK
                );
            }
            (false, true) => println!(
                "note: no site in buoy.toml takes attachments; remove the [[r2_buckets]] block from wrangler.toml to deploy without R2"
            ),
            _ => {}
        }
        if !has_search(&wrangler) {
            println!(
                "note: no D1 database in wrangler.toml: the console finds tickets by reference and email only; for word search, add:\n{}",
                crate::serve::D1_BLOCK
            );
        }
    }
    Ok(crate::serve::Needs { send_email: config.uses_email(), files: config.uses_attachments() })
}

/// Whether a wrangler config declares an active R2 bucket binding.
pub fn has_bucket(wrangler_toml: &str) -> bool {
    wrangler_toml.lines().any(|line| line.trim() == "[[r2_buckets]]")
}

/// Whether a wrangler config declares an active D1 database (the word index).
pub fn has_search(wrangler_toml: &str) -> bool {
    wrangler_toml.lines().any(|line| line.trim() == "[[d1_databases]]")
}

/// Whether a wrangler config declares Buoy's `send_email` binding.
pub fn has_send_email(wrangler_toml: &str) -> bool {
    wrangler_toml.contains(crate::serve::SEND_EMAIL_BLOCK.trim())
}

/// A JavaScript string literal for `value`.
fn js_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JavaScript array of strings.
fn js_array<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    format!("[{}]", values.into_iter().map(js_string).collect::<Vec<_>>().join(","))
}

/// The loader with the catalog's strings and a look filled in: the
/// catalog's locales (all of them, and those written right to left), the
/// launcher's label in each (none when the look has its own label, which
/// names the launcher in every language), and `look` (from [`loader_look`]).
fn render_loader(source: &str, look: &str, own_label: bool) -> Result<String> {
    let labels: Vec<&str> = Locale::ALL.iter().map(|l| text(*l, MessageId::LauncherLabel)).collect();
    if labels.iter().any(|label| label.contains('|')) {
        return Err("a launcher label in the catalog holds |, which separates them in the loader".into());
    }
    // Split at run time: shorter than an array literal once compressed.
    let rendered = source
        .replace("__BUOY_LOCALES__", &format!("{}.split(' ')", js_string(&Locale::ALL.map(Locale::tag).join(" "))))
        .replace("__BUOY_LABELS__", &if own_label { "[]".to_owned() } else { format!("{}.split('|')", js_string(&labels.join("|"))) })
        .replace("__BUOY_RTL__", &js_array(Locale::ALL.iter().filter(|l| l.is_rtl()).map(|l| l.tag())))
        .replace("__BUOY_LOOK__", look);
    if rendered.contains("__BUOY_") {
        return Err("www/buoy.js names a catalog string the build does not fill".into());
    }
    Ok(rendered)
}

/// A look as the loader reads it: `[stylesheet, label ('' for the icon
/// alone), colour scheme, hide the launcher (0 or 1), site ('' for the
/// generic loader, which reads `data-site`)]`.
fn loader_look(appearance: &Appearance, site: &str) -> String {
    format!(
        "[{},{},{},{},{}]",
        js_string(&appearance.loader_css()),
        js_string(appearance.label.as_deref().unwrap_or("")),
        js_string(appearance.color_scheme.as_str()),
        u8::from(appearance.hide_launcher),
        js_string(site)
    )
}

/// The generic loader (`/buoy.js`, the default look, `data-site`) and one
/// per site (`/s/{site}.js`, its look and id baked in), minified.
fn loaders(site_dir: &Path, source: &str, config: &Config) -> Result {
    // ES2022: every browser with constructed stylesheets (which the loader needs) runs it.
    let minify = |look: &Appearance, id: &str| {
        let rendered = render_loader(source, &loader_look(look, id), look.label.is_some())?;
        esbuild(&rendered, &["--minify", "--loader=js", "--target=es2022", "--legal-comments=none"])
    };
    cmd::write(&site_dir.join("buoy.js"), minify(&Appearance::default(), "")?)?;
    for (id, site) in &config.sites {
        cmd::write(&site_dir.join(SITE_LOADERS).join(format!("{id}.js")), minify(&site.appearance, id)?)?;
    }
    Ok(())
}

/// The folder of the per-site loaders, `/s/{site}.js`.
pub const SITE_LOADERS: &str = "s";

fn esbuild(input: &str, args: &[&str]) -> Result<String> {
    let mut c = node_bin("esbuild", args);
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::inherit());
    let mut child = c.spawn().map_err(|e| format!("esbuild: {e} (run `cargo xtask setup`)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).map_err(|e| format!("esbuild: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("esbuild: {e}"))?;
    if !out.status.success() {
        return Err(format!("esbuild {} failed", args.join(" ")));
    }
    String::from_utf8(out.stdout).map_err(|_| "esbuild printed something that is not UTF-8".into())
}

/// Copies the folder `from` into `to`, but for the entries named in `skip`.
///
/// # Errors
/// When a file cannot be read or written.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if source.is_dir() {
            copy_tree(&source, &target, &[])?;
        } else {
            let bytes = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
            cmd::write(&target, bytes)?;
        }
    }
    Ok(())
}

/// A short content hash for file names (FNV-1a, 64 bits): cache busting,
/// not security.
fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// The knowledge base as the build published it.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    /// Each locale's search index path (`/kb/{locale}/index.{hash}.txt`),
    /// for every locale with articles.
    pub indexes: std::collections::BTreeMap<String, String>,
    /// Each locale's articles as the panel lists them (`[id, title,
    /// [suggest_on…]]` each, for the page's data block).
    pub listed: std::collections::BTreeMap<String, serde_json::Value>,
}

impl KnowledgeBase {
    /// The articles a page in `locale` lists: that locale's, else its
    /// language's (`pt` for `pt-BR`), else the default locale's.
    pub fn listed_for(&self, locale: &str) -> serde_json::Value {
        let language = locale.split('-').next().unwrap_or(locale);
        [locale, language, kb::DEFAULT_LOCALE].iter().find_map(|l| self.listed.get(*l)).cloned().unwrap_or_default()
    }
}

/// The knowledge base: every `*.md` of each locale folder of `dirs`
/// (`kb/en/`, `kb/de/`, …) parsed and checked by `shared` (a bad file
/// fails the build, naming file and field), each article written
/// pre-parsed as `kb/{locale}/{id}.{hash}.json`, the images of each dir's
/// `images/` as `kb/images/{name}.{hash}.{extension}`, and one search
/// index per locale, `kb/{locale}/index.{hash}.txt`, over the locale's
/// articles and the default locale's it has not translated.
///
/// # Errors
/// When a file cannot be read or is refused.
pub fn knowledge_base(site: &Path, dirs: &[PathBuf]) -> Result<KnowledgeBase> {
    let mut articles = Vec::new();
    for dir in dirs.iter().filter(|d| d.exists()) {
        let folder = dir.strip_prefix(crate::root()).unwrap_or(dir).display().to_string();
        let images = knowledge_base_images(site, &dir.join("images"))?;
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if entry.extension().is_some_and(|x| x == "md") && entry.is_file() {
                return Err(format!(
                    "{folder}/{name}: articles live in a folder per language; move it to {folder}/{}/{name}",
                    kb::DEFAULT_LOCALE
                ));
            }
            if !entry.is_dir() || name == "images" {
                continue;
            }
            let locale = kb::locale_folder(&name).map_err(|e| format!("invalid knowledge base folder in {folder}/: {e}"))?;
            let mut files: Vec<PathBuf> = std::fs::read_dir(&entry)
                .map_err(|e| format!("{}: {e}", entry.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect();
            files.sort();
            for file in files {
                let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let text = cmd::read(&file)?;
                let article = kb::parse_article(&locale, &format!("{locale}/{file_name}"), &text, &images)
                    .map_err(|e| format!("invalid article in {folder}/: {e}"))?;
                articles.push(article);
            }
        }
    }
    if articles.is_empty() {
        kb::validate_collection(&articles).map_err(|e| format!("invalid knowledge base: {e}"))?;
    }
    let sets = kb::by_locale(&articles).map_err(|e| format!("invalid knowledge base: {e}"))?;
    let mut files = std::collections::BTreeMap::new();
    for article in &articles {
        let json = serde_json::to_string(article).map_err(|e| e.to_string())?;
        let file = format!("/kb/{}/{}.{}.json", article.locale, article.id, content_hash(json.as_bytes()));
        cmd::write(&site.join(&file[1..]), &json)?;
        files.insert((article.locale.as_str(), article.id.as_str()), file);
    }
    let mut built = KnowledgeBase::default();
    for (locale, set) in sets {
        let docs: Vec<IndexDoc> = set
            .iter()
            .map(|article| IndexDoc {
                id: article.id.clone(),
                title: article.title.clone(),
                tags: article.tags.clone(),
                text: kb::plain_text(&article.body),
                suggest_on: article.suggest_on.clone(),
                kind: article.kind.as_ref().map(|k| k.as_str().to_owned()),
                file: files.get(&(article.locale.as_str(), article.id.as_str())).cloned().unwrap_or_default(),
                // Empty for the index's own language: only a fallback names its own.
                locale: if article.locale == locale { String::new() } else { article.locale.clone() },
            })
            .collect();
        let index = search::build_index(locale, &docs);
        let path = format!("/kb/{locale}/index.{}.txt", content_hash(index.as_bytes()));
        cmd::write(&site.join(&path[1..]), index)?;
        let own = set.iter().filter(|a| a.locale == locale).count();
        println!("knowledge base {locale}: {own} of {} articles in {locale}, index {path}", set.len());
        let listed = docs.iter().map(|d| serde_json::json!([d.id, d.title, d.suggest_on])).collect();
        built.listed.insert(locale.to_owned(), serde_json::Value::Array(listed));
        built.indexes.insert(locale.to_owned(), path);
    }
    Ok(built)
}

/// The images of one knowledge base folder (`images`, if it exists),
/// each copied into the site under a content-hashed name.
fn knowledge_base_images(site: &Path, images: &Path) -> Result<kb::Images> {
    let mut files = Vec::new();
    if images.is_dir() {
        for entry in std::fs::read_dir(images).map_err(|e| format!("{}: {e}", images.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", images.display()))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_file() && kb::image::is_image_name(&name) {
                files.push((name, std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?));
            }
        }
    }
    let publish = |name: &str, bytes: &[u8]| -> Result<String> {
        let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
        let src = format!("/kb/images/{stem}.{}.{}", content_hash(bytes), extension.to_ascii_lowercase());
        cmd::write(&site.join(&src[1..]), bytes)?;
        Ok(src)
    };
    kb::image::collect_images(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), publish)
        .map_err(|e| format!("invalid image in {}/: {e}", images.strip_prefix(crate::root()).unwrap_or(images).display()))
}

/// The data block of a locale's widget page: the search index paths of
/// its locale and the default one (the help module picks its page's, or
/// falls back), the articles the panel lists, the playbooks' guided-fix
/// steps and the locale's message catalog, as JSON safe inside a
/// `<script>` element (an inert `application/json` block: the page's CSP
/// allows it).
fn widget_data(
    indexes: &std::collections::BTreeMap<String, String>,
    docs: &serde_json::Value,
    config: &Config,
    locale: Locale,
) -> Result<String> {
    let guides: std::collections::BTreeMap<&str, &Vec<String>> = config
        .playbooks
        .iter()
        .filter(|(kind, book)| kind.as_str() != buoy_shared::playbook::ANY && !book.steps.is_empty())
        .map(|(kind, book)| (kind.as_str(), &book.steps))
        .collect();
    let catalog = buoy_shared::messages::catalog(locale);
    let indexes: std::collections::BTreeMap<&String, &String> =
        indexes.iter().filter(|(tag, _)| *tag == locale.tag() || *tag == Locale::En.tag()).collect();
    let json = serde_json::json!({ "kb": indexes, "docs": docs, "guides": guides, "t": catalog }).to_string();
    Ok(json.replace('<', "\\u003c"))
}

/// Builds the static site: `www/` (less the demo host page), `_headers`
/// from `buoy_shared::headers`, the loader with its strings, the widget's
/// minified CSS, glue and wasm in `/w/{hash}/` (the page names that
/// folder), and the knowledge base.
///
/// # Errors
/// When a build step fails.
pub fn site(options: &Options) -> Result<PathBuf> {
    let root = crate::root();
    let site = root.join(options.site_out);
    if site.exists() {
        std::fs::remove_dir_all(&site).map_err(|e| format!("{}: {e}", site.display()))?;
    }
    copy_tree(&root.join("www"), &site, &["demo"])?;
    // Their minified copies go to the hashed folder, under their own names.
    for sheet in ["app.css", "inbox.css", "upload.css", "inline.js", "hours.js"] {
        let copy = site.join("widget").join(sheet);
        std::fs::remove_file(&copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    }
    // The static assets' headers, from the one table the worker uses too.
    cmd::write(&site.join("_headers"), buoy_shared::headers::headers_file())?;

    let config = Config::from_toml(&cmd::read(&options.config)?).map_err(|e| format!("{}: {e}", options.config.display()))?;
    loaders(&site, &cmd::read(&root.join("www/buoy.js"))?, &config)?;
    // The widget's files go to a folder of their own first, then to the
    // folder their content names (`/w/{hash}/`).
    let files = site.join(WIDGET_FILES);
    for sheet in ["app.css", "inbox.css", "upload.css"] {
        let css = cmd::read(&root.join("www/widget").join(sheet))?;
        cmd::write(&files.join(sheet), esbuild(&css, &["--minify", "--loader=css"])?)?;
    }
    // The inline panel's module, plain JavaScript, loaded only inline.
    let inline = cmd::read(&root.join("www/widget/inline.js"))?;
    cmd::write(
        &files.join("inline.js"),
        esbuild(&inline, &["--minify", "--loader=js", "--format=esm", "--target=es2022", "--legal-comments=none"])?,
    )?;

    // The panel, and the requester's inbox (their tickets and threads),
    // which the panel loads only once the requester has a ticket: a first
    // visit downloads the panel alone.
    // The closed line is plain JavaScript joined to the panel's glue
    // (`www/widget/hours.js`): counted in the first open, no date code in
    // the wasm. Its text is the catalog's, by index.
    let hours = cmd::read(&root.join("www/widget/hours.js"))?.replace("__BUOY_CLOSED_NOW__", &(MessageId::ClosedNow as usize).to_string());
    wasm_module(&files, "app", "buoy-widget-panel", &hours)?;
    wasm_module(&files, "inbox", "buoy-widget-inbox", "")?;
    wasm_module(&files, "help", "buoy-widget-help", "")?;
    // Attachments, loaded at the first file offered (or when files wait
    // or a thread shows some): neither of the others grows for them.
    wasm_module(&files, "upload", "buoy-widget-upload", "")?;
    // The ticket form's send path, loaded when the form shows (or on
    // intent): the first open does without it.
    wasm_module(&files, "form", "buoy-widget-form", "")?;
    let folder = hashed_folder(&files)?;

    check_catalogs()?;
    let kb = knowledge_base(&site, &options.kb_dirs)?;
    let template = cmd::read(&site.join("widget/index.html"))?;
    for locale in Locale::ALL {
        let data = widget_data(&kb.indexes, &kb.listed_for(locale.tag()), &config, locale)?;
        let page = site.join(widget_page_asset(locale).trim_start_matches('/')).join("index.html");
        cmd::write(&page, widget_page(&template, locale, &data, &folder)?)?;
    }
    Ok(site)
}

/// Refuses a message catalog with a locale whose placeholders differ from
/// English or that leaves a message untranslated
/// (`buoy_shared::messages::check`, which the host tests run too; a
/// missing or extra message does not compile).
fn check_catalogs() -> Result {
    let problems: Vec<String> = Locale::ALL.into_iter().flat_map(buoy_shared::messages::check).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("the message catalog is refused:\n{}", problems.join("\n")))
    }
}

/// The widget page of a locale from `www/widget/index.html`: its `lang`
/// and `dir`, its title, its data block (`data`, with the catalog), the
/// panel's markup in its language, and the widget's files' folder.
fn widget_page(template: &str, locale: Locale, data: &str, folder: &str) -> Result<String> {
    let (html_element, title) = ("<html lang=\"en\">", "<title>Help</title>");
    let placeholder = "<script type=\"application/json\" id=\"buoy-data\">{}</script>";
    let root = r#"<div id="buoy"></div>"#;
    for (part, what) in
        [(html_element, "its html element"), (title, "its title"), (placeholder, "its buoy-data block"), (root, "its buoy root element")]
    {
        if !template.contains(part) {
            return Err(format!("www/widget/index.html lost {what} ({part})"));
        }
    }
    let data = format!("<script type=\"application/json\" id=\"buoy-data\">{data}</script>");
    // The panel loads the other modules from the root's `data-*-src`
    // (`buoy_widget_core::protocol::Module`). The markup shows as soon as
    // it is parsed, before the wasm runs: `data-starting` until the panel
    // removes it, its buttons take no clicks that nothing would answer
    // (app.css), while typing in the search box is kept for the panel.
    let panel = format!(
        r#"<div id="buoy" data-starting data-inbox-src="{folder}inbox.js" data-help-src="{folder}help.js" data-upload-src="{folder}upload.js" data-inline-src="{folder}inline.js" data-form-src="{folder}form.js">{}</div>"#,
        buoy_shared::panel::skeleton(locale)
    );
    let title = format!("<title>{}</title>", buoy_shared::panel::escape_html(text(locale, MessageId::HelpTitle)));
    let html = template
        .replace(html_element, &buoy_shared::panel::html_element(locale))
        .replace("<title>Help</title>", &title)
        .replace(placeholder, &data)
        .replace(root, &panel)
        .replace(FILES_PLACEHOLDER, folder);
    if html.contains("__BUOY_") {
        return Err("www/widget/index.html names a placeholder the build does not fill".into());
    }
    Ok(html)
}

/// Where the widget's files are built, in the site, before they move to
/// the folder their content names.
const WIDGET_FILES: &str = "w/new";

/// What `www/widget/index.html` writes before the name of the widget's
/// files' folder (`/w/{hash}/`).
const FILES_PLACEHOLDER: &str = "__BUOY_FILES__";

/// The files of the first open of the panel, in the widget's folder (the
/// page, `widget/index.html`, comes first).
pub const PANEL_FILES: [&str; 3] = ["app.css", "app.js", "app_bg.wasm"];
/// The files of the inbox module, in the widget's folder.
pub const INBOX_FILES: [&str; 3] = ["inbox.css", "inbox.js", "inbox_bg.wasm"];
/// The files of the help module (search and articles), in the widget's folder.
pub const HELP_FILES: [&str; 2] = ["help.js", "help_bg.wasm"];
/// The files of the upload module (attachments), in the widget's folder.
pub const UPLOAD_FILES: [&str; 3] = ["upload.css", "upload.js", "upload_bg.wasm"];
/// The inline panel's module (its height to the host page), in the widget's folder.
pub const INLINE_FILES: [&str; 1] = ["inline.js"];
/// The form module (the ticket form's send path), in the widget's folder.
pub const FORM_FILES: [&str; 2] = ["form.js", "form_bg.wasm"];

/// Moves the widget's files from `built` to `/w/{hash}/` in the site,
/// the hash of them all (names and content), and returns that folder's
/// path as the page names it. One folder for the panel and its inbox
/// module: their names are in the page once, the glue finds its wasm
/// beside it (`new URL(…, import.meta.url)`), and the page names the
/// folder's hash once where a hash per file would cost the first open
/// a hash each. Any change to any of them renames them all.
fn hashed_folder(built: &Path) -> Result<String> {
    let mut all = Vec::new();
    for name in PANEL_FILES.iter().chain(&INBOX_FILES).chain(&HELP_FILES).chain(&UPLOAD_FILES).chain(&INLINE_FILES).chain(&FORM_FILES) {
        let bytes = std::fs::read(built.join(name)).map_err(|e| format!("{}: {e}", built.join(name).display()))?;
        all.extend_from_slice(name.as_bytes());
        all.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        all.extend_from_slice(&bytes);
    }
    if std::fs::read_dir(built).map_err(|e| format!("{}: {e}", built.display()))?.count()
        != PANEL_FILES.len() + INBOX_FILES.len() + HELP_FILES.len() + UPLOAD_FILES.len() + INLINE_FILES.len() + FORM_FILES.len()
    {
        return Err(format!("{} holds a file the hash does not cover", built.display()));
    }
    let hash = content_hash(&all);
    let folder = built.with_file_name(&hash);
    std::fs::rename(built, &folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    println!("widget files: /w/{hash}/");
    Ok(format!("/w/{hash}/"))
}

/// The widget's files of a built site, by when they load.
#[derive(Debug)]
pub struct WidgetFiles {
    /// The first open: the page, then [`PANEL_FILES`].
    pub first_open: Vec<PathBuf>,
    /// The help module ([`HELP_FILES`]), at the first search or article.
    pub help: Vec<PathBuf>,
    /// The inbox module ([`INBOX_FILES`]), once the requester has something to keep.
    pub inbox: Vec<PathBuf>,
    /// The upload module ([`UPLOAD_FILES`]), at the first file.
    pub upload: Vec<PathBuf>,
    /// The form module ([`FORM_FILES`]), when the ticket form shows.
    pub form: Vec<PathBuf>,
}

impl WidgetFiles {
    /// The first open in `locale`: its page instead of the default locale's.
    pub fn first_open_in(&self, site: &Path, locale: Locale) -> Vec<PathBuf> {
        let mut files = self.first_open.clone();
        if let Some(page) = files.first_mut() {
            *page = site.join(widget_page_asset(locale).trim_start_matches('/')).join("index.html");
        }
        files
    }
}

/// The widget's files of a built site, found in its one `/w/{hash}/` folder.
///
/// # Errors
/// When the site has no such folder, or more than one.
pub fn widget_files(site: &Path) -> Result<WidgetFiles> {
    let w = site.join("w");
    let folders: Vec<PathBuf> =
        std::fs::read_dir(&w).map_err(|e| format!("{}: {e}", w.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    let [folder] = folders.as_slice() else {
        return Err(format!("{} holds {} folders, not the build's one", w.display(), folders.len()));
    };
    let mut first_open = vec![site.join("widget/index.html")];
    first_open.extend(PANEL_FILES.iter().map(|f| folder.join(f)));
    let files = |names: &[&str]| names.iter().map(|f| folder.join(f)).collect();
    Ok(WidgetFiles {
        first_open,
        help: files(&HELP_FILES),
        inbox: files(&INBOX_FILES),
        upload: files(&UPLOAD_FILES),
        form: files(&FORM_FILES),
    })
}

/// Builds the widget's `package` (a cdylib crate) into `{out}/{name}.js` and
/// `{out}/{name}_bg.wasm`: cargo, wasm-bindgen, wasm-opt, and the glue
/// rewritten for wasm-opt's short names and minified, ending with the
/// call that starts the module, after `joined` (plain JavaScript of the
/// module's own, in a block of its own).
fn wasm_module(out_dir: &Path, name: &str, package: &str, joined: &str) -> Result {
    let root = crate::root();
    // Panic locations name source files; short paths keep them small.
    let registry = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    // Each registry folder (`index.crates.io-<hash>`) and the standard
    // library's source path (`/rustc/<commit>`) are dropped from them too.
    let mut prefixes = vec![registry.join("registry/src").display().to_string(), root.display().to_string()];
    if let Ok(folders) = std::fs::read_dir(registry.join("registry/src")) {
        prefixes.extend(folders.filter_map(|f| f.ok()).map(|f| f.path().display().to_string()));
    }
    let version = command("rustc", &["-vV"]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    if let Some(commit) = version.lines().find_map(|l| l.strip_prefix("commit-hash: ")) {
        prefixes.push(format!("/rustc/{commit}/library"));
    }
    // Longest first: rustc applies the last matching option.
    prefixes.sort_by_key(|p| p.len());
    let flags = prefixes.iter().map(|p| format!("--remap-path-prefix={p}=")).collect::<Vec<_>>().join("\x1f");
    let args = ["build", "--release", "--package", package, "--target", "wasm32-unknown-unknown"];
    cmd::run(command("cargo", &args).env("CARGO_ENCODED_RUSTFLAGS", flags))?;
    let raw = root.join("target/wasm32-unknown-unknown/release").join(format!("{}.wasm", package.replace('-', "_")));
    let out = root.join("target/widget-bindgen");
    cmd::run(&mut command(
        "wasm-bindgen",
        &["--target", "web", "--no-typescript", "--out-name", name, "--out-dir", &out.to_string_lossy(), &raw.to_string_lossy()],
    ))?;
    let wasm_out = out_dir.join(format!("{name}_bg.wasm"));
    // `--minify-imports-and-exports-and-modules` shortens the wasm's
    // import and export names (wasm-bindgen's carry a 16-digit hash each)
    // and prints the mapping, which the glue is rewritten with below.
    let mut opt = node_bin(
        "wasm-opt",
        &[
            // Two rounds around a whole-program flow analysis: ~1% smaller.
            "-Oz",
            "--gufa",
            "-Oz",
            "--minify-imports-and-exports-and-modules",
            "--strip-debug",
            "--strip-producers",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            &out.join(format!("{name}_bg.wasm")).to_string_lossy(),
            "-o",
            &wasm_out.to_string_lossy(),
        ],
    );
    let optimized = opt.stderr(std::process::Stdio::inherit()).output().map_err(|e| format!("wasm-opt: {e}"))?;
    if !optimized.status.success() {
        return Err(format!("wasm-opt failed on the widget's {name} module"));
    }
    // The glue exports an init function; calling it at the end of the
    // module saves a bootstrap file and a request (no inline script is
    // allowed on the widget page).
    let glue = cmd::read(&out.join(format!("{name}.js")))?;
    if !glue.contains("export { initSync, __wbg_init as default };") {
        return Err("wasm-bindgen's glue changed shape: update the init call in xtask/src/build.rs".into());
    }
    let glue = rename_wasm_names(&glue, name, &String::from_utf8_lossy(&optimized.stdout))?;
    let glue = glue + "\n" + joined + "\nawait __wbg_init();\n";
    cmd::write(
        &out_dir.join(format!("{name}.js")),
        esbuild(&glue, &["--minify", "--loader=js", "--format=esm", "--target=es2022", "--legal-comments=none"])?,
    )
}

/// Rewrites wasm-bindgen's glue for the names `wasm-opt --minify-imports-
/// and-exports-and-modules` gave the wasm: the import object's module and
/// keys, and every `wasm.<export>`.
fn rename_wasm_names(glue: &str, name: &str, mapping: &str) -> Result<String> {
    let start = mapping.find('{').ok_or("wasm-opt printed no name mapping")?;
    let map: serde_json::Value = serde_json::from_str(&mapping[start..]).map_err(|e| format!("wasm-opt's name mapping: {e}"))?;
    let pairs = |key: &str, from: usize, to: usize| -> Vec<(String, String)> {
        let list = map[key].as_array().cloned().unwrap_or_default();
        list.iter().filter_map(|entry| Some((entry.get(from)?.as_str()?.to_owned(), entry.get(to)?.as_str()?.to_owned()))).collect()
    };
    let mut imports = pairs("imports", 1, 2);
    let exports = pairs("exports", 0, 1);
    if imports.is_empty() || exports.is_empty() {
        return Err("wasm-opt's name mapping is empty".into());
    }
    // Longest first, so no name is replaced inside a longer one.
    imports.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    let mut out = glue.to_owned();
    let module = format!("\"./{name}_bg.js\": import0");
    if !out.contains(&module) {
        return Err(format!("wasm-bindgen's glue changed shape: its import object is no longer \"./{name}_bg.js\""));
    }
    out = out.replace(&module, "\"a\": import0");
    for (old, new) in &imports {
        let key = format!("{old}:");
        if !out.contains(&key) {
            return Err(format!("the glue has no import {old}"));
        }
        out = out.replace(&key, &format!("{}:", js_string(new)));
    }
    let mut exports = exports;
    exports.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    for (old, new) in &exports {
        out = out.replace(&format!("wasm.{old}"), &format!("wasm[{}]", js_string(new)));
    }
    Ok(out)
}

/// Builds the worker with worker-build, compiling in `options.config`.
///
/// # Errors
/// When the configuration is invalid or a build step fails.
pub fn worker(options: &Options) -> Result<PathBuf> {
    let root = crate::root();
    let out = format!("../{}", options.worker_out);
    let mut c = command("worker-build", &["--release", "--out-dir", &out]);
    c.current_dir(root.join("worker")).env("BUOY_CONFIG", &options.config);
    if let Some(dir) = &options.target_dir {
        c.env("CARGO_TARGET_DIR", dir);
    }
    cmd::run(&mut c)?;
    Ok(root.join(options.worker_out).join("index.js"))
}

/// Raw, gzip and brotli sizes of some files, added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    /// Bytes as stored.
    pub raw: usize,
    /// Bytes after gzip -9.
    pub gzip: usize,
    /// Bytes after brotli -q 11.
    pub brotli: usize,
    /// How many files (requests).
    pub files: usize,
}

/// The weight of these files.
///
/// # Errors
/// When a file cannot be read.
pub fn weigh(files: &[PathBuf]) -> Result<Weight> {
    let mut weight = Weight::default();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params).map_err(|e| e.to_string())?;
        weight.raw += bytes.len();
        weight.gzip += gz.len();
        weight.brotli += br.len();
        weight.files += 1;
    }
    Ok(weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_strings_are_escaped() {
        assert_eq!(js_string("Help"), "\"Help\"");
        assert_eq!(js_string("a\"b\\c</script>\n"), "\"a\\\"b\\\\c\\u003c/script>\\u000a\"");
    }

    #[test]
    fn each_locale_gets_its_own_page_in_its_language_and_direction() {
        let template = cmd::read(&crate::root().join("www/widget/index.html")).unwrap_or_default();
        for locale in Locale::ALL {
            let page = widget_page(&template, locale, "{\"t\":[]}", "/w/0123/").unwrap_or_default();
            assert!(page.contains(&buoy_shared::panel::html_element(locale)), "{locale:?}");
            assert!(page.contains(text(locale, MessageId::WriteToUs)), "{locale:?}: the markup in its language");
            assert!(page.contains("<script type=\"module\" src=\"/w/0123/app.js\">"), "{locale:?}");
        }
        let arabic = widget_page(&template, Locale::Ar, "{}", "/w/0123/").unwrap_or_default();
        assert!(arabic.starts_with("<!doctype html>\n<html lang=\"ar\" dir=\"rtl\">"), "{arabic}");
        assert!(arabic.contains("<title>مساعدة</title>"));
        assert!(widget_page("<html>", Locale::De, "{}", "/w/0/").is_err(), "a template without its parts is refused");
        assert_eq!(check_catalogs(), Ok(()));
    }

    #[test]
    fn content_hashes_change_with_content() {
        assert_eq!(content_hash(b"a"), content_hash(b"a"));
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
        assert_eq!(content_hash(b"").len(), 16);
    }

    /// A knowledge base of `files` (path, text) in a fresh folder, built into a site beside it.
    fn build_kb(name: &str, files: &[(&str, &str)]) -> (PathBuf, Result<KnowledgeBase>) {
        let dir = crate::root().join("target/kb-tests").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            cmd::write(&dir.join("kb").join(path), text).unwrap_or_else(|e| unreachable!("{e}"));
        }
        let built = knowledge_base(&dir.join("site"), &[dir.join("kb")]);
        (dir, built)
    }

    fn article(id: &str, title: &str, extra: &str) -> String {
        format!("---\nid: {id}\ntitle: {title}\n{extra}---\nBody of {title}.\n")
    }

    #[test]
    fn each_locale_gets_an_index_of_its_articles_and_the_default_ones() {
        let (dir, built) = build_kb(
            "locales",
            &[
                ("en/a.md", &article("a", "Invoices", "")),
                ("en/b.md", &article("b", "Passwords", "")),
                ("de/a.md", &article("a", "Rechnungen", "locale: de\n")),
            ],
        );
        let built = built.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(built.indexes.keys().collect::<Vec<_>>(), ["de", "en"]);
        let index = |locale: &str| {
            let path = built.indexes.get(locale).cloned().unwrap_or_default();
            assert!(path.starts_with(&format!("/kb/{locale}/index.")), "{path}");
            let text = std::fs::read_to_string(dir.join("site").join(&path[1..])).unwrap_or_default();
            search::Index::parse(&text).unwrap_or_else(|e| unreachable!("{e}"))
        };
        let german = index("de");
        let shown: Vec<(&str, &str, &str)> = german.docs().iter().map(|d| (d.id.as_str(), d.title.as_str(), d.locale.as_str())).collect();
        assert_eq!(shown, [("a", "Rechnungen", ""), ("b", "Passwords", "en")], "the English article stands in, marked");
        assert!(german.docs().iter().all(|d| d.file.starts_with(if d.locale.is_empty() { "/kb/de/" } else { "/kb/en/" })));
        assert_eq!(built.listed_for("de"), serde_json::json!([["a", "Rechnungen", []], ["b", "Passwords", []]]));
        assert_eq!(built.listed_for("fr"), built.listed_for("en"), "a locale without articles lists the default's");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_knowledge_base_out_of_its_folders_fails_naming_the_file() {
        let valid = "---\nid: a\ntitle: A\n---\nBody\n";
        /// The behaviour, the knowledge base's files, what the error says.
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case<'_>] = &[
            (
                "a front matter of another locale",
                &[("en/a.md", "---\nid: a\ntitle: A\nlocale: de\n---\nBody\n")],
                "en/a.md:4: locale: `de` differs from the folder's `en`",
            ),
            (
                "an article outside a locale folder",
                &[("en/a.md", valid), ("b.md", "")],
                "b.md: articles live in a folder per language; move it to",
            ),
            (
                "a folder that is not a language",
                &[("en/a.md", valid), ("drafts/b.md", "")],
                "drafts/:0: locale: a knowledge base folder is named after",
            ),
            ("no default locale", &[("de/a.md", valid)], "kb/en/:0: articles: the default locale `en` has no articles"),
        ];
        for (name, files, expected) in cases {
            let (dir, built) = build_kb("refused", files);
            let error = built.err().unwrap_or_default();
            assert!(error.contains(expected), "{name}: {error}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn the_loader_gets_its_labels_and_locales_from_the_catalog() {
        let rendered = render_loader("x = __BUOY_LABELS__;", "0", false).unwrap_or_default();
        assert_eq!(rendered, "x = \"Help|Hilfe|Aide|Ayuda|Ajuda|ヘルプ|مساعدة\".split('|');");
        assert!(render_loader("x = __BUOY_LAUNCHER_LABEL__;", "0", false).is_err(), "one label per locale, none alone");
        let rendered = render_loader("l = __BUOY_LOCALES__, r = __BUOY_RTL__;", "0", false).unwrap_or_default();
        assert_eq!(rendered, "l = \"en de fr es pt-BR ja ar\".split(' '), r = [\"ar\"];");
        assert!(render_loader("__BUOY_UNKNOWN__", "0", false).is_err());
    }

    #[test]
    fn a_site_loader_bakes_in_its_look_and_id_and_the_generic_one_the_default() {
        let generic = loader_look(&Appearance::default(), "");
        assert_eq!(generic, format!("[{},\"\",\"auto\",0,\"\"]", js_string(&Appearance::default().loader_css())));
        let themed = Appearance {
            label: Some("Ask \"us\" <now>".into()),
            color_scheme: buoy_shared::appearance::Scheme::Dark,
            hide_launcher: true,
            ..Appearance::default()
        };
        let look = loader_look(&themed, "docs");
        assert!(look.ends_with(",\"Ask \\\"us\\\" \\u003cnow>\",\"dark\",1,\"docs\"]"), "{look}");
        let rendered = render_loader("var look = __BUOY_LOOK__, labels = __BUOY_LABELS__;", &look, true).unwrap_or_default();
        assert!(rendered.starts_with("var look = [\":host{"), "{rendered}");
        assert!(rendered.ends_with(", labels = [];"), "a site's own label names the launcher in every language: {rendered}");
    }
}
