//! Tidy: the docs cannot drift from the code. Host tests (run by `cargo
//! xtask test`'s host-test step, like every `#[test]` of the workspace)
//! that read the repository's files and fail, naming what is out of step,
//! when
//!
//! - a path in ARCHITECTURE.md's code map does not exist;
//! - the README's API table, the worker's router and the OpenAPI document
//!   do not list the same routes;
//! - a figure (a number with its unit) of the README is written twice, in
//!   the README or again in ARCHITECTURE.md: a figure has one place, so a
//!   new measurement cannot leave an old copy behind;
//! - a module of `shared` or of one of the widget's crates imports one
//!   that imports it back, directly or through others (a cycle of
//!   `crate::` paths; a crate's root owns the modules it declares).
//!
//! The model is rust-analyzer's `xtask/src/tidy.rs`. Each check is a pure
//! function over the files' text, so its own tests show it failing.

use crate::bench::{BENCH_BEGIN, BENCH_END};
use std::collections::{BTreeMap, BTreeSet};

/// The lines of the Markdown section under the heading `title` (any
/// level), up to the next heading of the same or a higher level.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = text.lines();
    let level = loop {
        match lines.next() {
            Some(line) if line.trim_start_matches('#').trim() == title && line.starts_with('#') => {
                break line.len() - line.trim_start_matches('#').len();
            }
            Some(_) => {}
            None => return Vec::new(),
        }
    };
    lines
        .take_while(|line| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            !(hashes > 0 && hashes <= level && line[hashes..].starts_with(' '))
        })
        .collect()
}

/// The first cell of each row of the Markdown tables in `lines` (header
/// and separator rows left out).
fn first_cells<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut cells = Vec::new();
    let mut header = true;
    for line in lines {
        let Some(row) = line.trim().strip_prefix('|') else {
            header = true;
            continue;
        };
        let cell = row.split('|').next().unwrap_or_default().trim();
        if header {
            header = false;
        } else if !cell.starts_with("---") {
            cells.push(cell);
        }
    }
    cells
}

/// The `code` spans of a line of Markdown.
fn code_spans(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// The paths ARCHITECTURE.md's code map names: the code spans of each
/// row's first cell. A bare file name (`events.rs` after
/// `shared/src/playbook.rs`) lives in the folder of the path before it.
pub fn code_map_paths(architecture: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for cell in first_cells(&section(architecture, "Code map")) {
        let mut folder = String::new();
        for span in code_spans(cell) {
            let path = if span.contains('/') { span.to_owned() } else { format!("{folder}{span}") };
            folder = path.rfind('/').map_or(String::new(), |i| path[..=i].to_owned());
            paths.push(path);
        }
    }
    paths
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The routes (`METHOD /path`, parameters as `{name}`) in the first cells
/// of the README's API table: every code span that starts with a method,
/// up to its query (`?…`) or optional part (`[…]`).
pub fn readme_routes(readme: &str) -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for cell in first_cells(&section(readme, "API")) {
        for span in code_spans(cell) {
            let Some((method, rest)) = span.split_once(' ') else { continue };
            if METHODS.contains(&method) {
                let path = rest.split(['?', '[', ' ']).next().unwrap_or_default();
                routes.insert(format!("{method} {path}"));
            }
        }
    }
    routes
}

/// The routes the worker's router dispatches to a handler: the arms of
/// `fn route` in `worker/src/api.rs` of the form
/// `(Method::Post, ["v1", "tickets", id, "messages"]) =>`; a binding
/// (`id`) is the parameter `{id}`. The arms that answer 405 for any other
/// method (`(_, …)`) name no route of their own.
pub fn router_routes(api_rs: &str) -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    let body = api_rs.split_once("async fn route").map_or("", |(_, rest)| rest.split("\n}\n").next().unwrap_or_default());
    for line in body.lines() {
        let Some(arm) = line.trim().strip_prefix("(Method::") else { continue };
        let Some((method, rest)) = arm.split_once(", [") else { continue };
        let Some((segments, _)) = rest.split_once("]) =>") else { continue };
        let path: Vec<String> = segments
            .split(", ")
            .map(|s| match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(literal) => literal.to_owned(),
                None => format!("{{{s}}}"),
            })
            .collect();
        routes.insert(format!("{} /{}", method.to_uppercase(), path.join("/")));
    }
    routes
}

/// The operations of the OpenAPI document, as `METHOD /path`.
///
/// # Errors
/// When the document is not JSON.
pub fn openapi_routes(openapi: &str) -> Result<BTreeSet<String>, String> {
    let document: serde_json::Value = serde_json::from_str(openapi).map_err(|e| format!("www/openapi.json: {e}"))?;
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()) {
            if METHODS.contains(&method.as_str()) {
                routes.insert(format!("{method} {path}"));
            }
        }
    }
    Ok(routes)
}

/// What differs between lists of routes that should be the same, one
/// line per route missing from one of them; empty when they agree.
pub fn route_mismatches(lists: &[(&str, &BTreeSet<String>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, routes) in lists {
        for (other, others) in lists {
            for route in routes.difference(others) {
                problems.push(format!("{route}: in {name}, not in {other}"));
            }
        }
    }
    problems
}

/// The units a figure is written with. A ratio (`×`) counts only with a
/// decimal point, so that `1×` and `4×` (CPU slowdowns, labels) do not.
const UNITS: [&str; 11] = ["req/s", "KiB", "MiB", "KB", "MB", "ms", "B", "s", "%", "×", "minutes"];

/// The figures of a Markdown text outside fenced code, with their line
/// numbers: a number (`1,000`, `0.49`) and the unit after it, as written
/// (`598 KiB`, `0.49×`, `113 req/s`).
fn figures(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts = chars[i].is_ascii_digit() && (i == 0 || !(chars[i - 1].is_alphanumeric() || "._,/-–:".contains(chars[i - 1])));
            if !starts {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit() || (",.".contains(chars[j]) && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
            {
                j += 1;
            }
            let number: String = chars[i..j].iter().collect();
            let gap = usize::from(chars.get(j) == Some(&' '));
            let rest: String = chars[j + gap..].iter().collect();
            let unit = UNITS.iter().find(|unit| {
                rest.starts_with(**unit)
                    && !rest[unit.len()..].chars().next().is_some_and(char::is_alphanumeric)
                    && (**unit != "×" || number.contains('.'))
            });
            if let Some(unit) = unit {
                found.push((format!("{number} {unit}"), index + 1));
            }
            i = j.max(i + 1);
        }
    }
    found
}

/// The figures written more than once: in the README's prose (twice),
/// again in ARCHITECTURE.md, or in the prose and again in the block
/// `cargo xtask bench` generates (whose own cells are separate
/// measurements, and may be equal). One line per repeated figure.
pub fn repeated_figures(readme: &str, architecture: &str) -> Vec<String> {
    let (prose, block) = match (readme.split_once(BENCH_BEGIN), readme.split_once(BENCH_END)) {
        (Some((before, rest)), Some((_, after))) => {
            let block = rest.split_once(BENCH_END).map_or("", |(b, _)| b);
            // The block's lines are blanked, not removed, so line numbers stay true.
            (format!("{before}{}{after}", "\n".repeat(block.lines().count())), block)
        }
        _ => (readme.to_owned(), ""),
    };
    let measured: BTreeSet<String> = figures(block).into_iter().map(|(f, _)| f).collect();
    let in_architecture: BTreeSet<String> = figures(architecture).into_iter().map(|(f, _)| f).collect();
    let mut lines: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (figure, line) in figures(&prose) {
        lines.entry(figure).or_default().push(line);
    }
    let mut problems = Vec::new();
    for (figure, at) in &lines {
        let at_text = at.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        if at.len() > 1 {
            problems.push(format!("README.md lines {at_text}: `{figure}` is written {} times", at.len()));
        }
        if measured.contains(figure) {
            problems.push(format!("README.md line {at_text}: `{figure}` repeats a figure of the bench block"));
        }
        if in_architecture.contains(figure) {
            problems.push(format!("README.md line {at_text}: `{figure}` is written in ARCHITECTURE.md too"));
        }
    }
    problems
}

/// The modules of this crate that `source` (one file of a crate) names
/// through `crate::` paths: `use crate::sla::SlaPolicy;`,
/// `use crate::{ticket::Ticket, time}`, `crate::ids::TicketId::parse(…)`.
/// Comment lines are left out (an intra-doc link is not an import).
pub fn crate_imports(source: &str) -> BTreeSet<String> {
    let code: String = source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let ident = |text: &str| -> String { text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut modules = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` is a macro's path into the crate that defines it.
        if code[..at].ends_with('$') || code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level items of the braces: `{ticket::{A, B}, time}`.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        modules.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        modules.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            modules.insert(ident(rest));
        }
    }
    modules.retain(|m| !m.is_empty() && m != "self");
    modules
}

/// The import cycles of a crate's modules, given what each module
/// imports: one line per group of modules that reach one another, with
/// one of its cycles spelt out; empty when there is none.
pub fn import_cycles(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    // The shortest path from `from` to `to` along imports, both ends included.
    let path = |from: &str, to: &str| -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(module) = queue.pop_front() {
            for next in imports.get(module).into_iter().flatten() {
                if next == module || came_from.contains_key(next.as_str()) || next == from {
                    continue;
                }
                came_from.insert(next, module);
                if next == to {
                    let mut path = vec![to.to_owned()];
                    let mut at = to;
                    while let Some(&before) = came_from.get(at) {
                        path.push(before.to_owned());
                        at = before;
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(next);
            }
        }
        None
    };
    let mut problems = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for (module, imported) in imports {
        if reported.contains(module.as_str()) {
            continue;
        }
        // A module in a cycle reaches itself back through one of its imports.
        let back = imported.iter().filter(|next| *next != module).filter_map(|next| path(next, module)).min_by_key(Vec::len);
        let Some(back) = back else { continue };
        let group: Vec<&str> = imports
            .keys()
            .filter(|other| *other == module || (path(module, other).is_some() && path(other, module).is_some()))
            .map(String::as_str)
            .collect();
        reported.extend(&group);
        problems.push(format!("{} import one another: {module} → {}", group.join(", "), back.join(" → ")));
    }
    problems
}

/// What each top-level module of the crate whose sources are in `src`
/// (relative to the root) imports of the others (`crate::` paths). The
/// crate root (`lib`) owns every module it declares, so a module that
/// reaches back into the root's own items (`crate::Item`) imports a
/// module that imports it: a cycle.
///
/// # Errors
/// When a source file cannot be read.
pub fn crate_module_imports(src: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    fn rust_files(folder: &std::path::Path, files: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
        for entry in std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", folder.display()))?.path();
            if path.is_dir() {
                rust_files(&path, files)?;
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        Ok(())
    }
    let src = crate::root().join(src);
    let mut files = Vec::new();
    rust_files(&src, &mut files)?;
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).map_err(|e| e.to_string())?;
        let first = relative.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        named.entry(module).or_default().extend(crate_imports(&crate::cmd::read(&file)?));
    }
    let modules: BTreeSet<String> = named.keys().filter(|m| *m != "lib").cloned().collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, names) in named {
        let targets = names.into_iter().map(|name| if modules.contains(&name) { name } else { "lib".to_owned() });
        let entry = imports.entry(module.clone()).or_default();
        entry.extend(targets.filter(|target| *target != module));
        if module == "lib" {
            entry.extend(modules.iter().cloned());
        }
    }
    Ok(imports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str) -> String {
        crate::cmd::read(&crate::root().join(path)).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn set(routes: &[&str]) -> BTreeSet<String> {
        routes.iter().map(|r| (*r).to_owned()).collect()
    }

    #[test]
    fn every_path_in_the_code_map_exists() {
        let paths = code_map_paths(&read("ARCHITECTURE.md"));
        assert!(paths.len() > 20, "the code map was not found: {paths:?}");
        let missing: Vec<&String> = paths.iter().filter(|p| !crate::root().join(p).exists()).collect();
        assert!(missing.is_empty(), "ARCHITECTURE.md's code map names paths that do not exist: {missing:?}");
    }

    #[test]
    fn the_readme_the_router_and_openapi_list_the_same_routes() {
        let readme = readme_routes(&read("README.md"));
        let router = router_routes(&read("worker/src/api.rs"));
        let openapi = openapi_routes(&read("www/openapi.json")).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(router.len() > 10, "the router's arms were not found: {router:?}");
        let problems = route_mismatches(&[
            ("the README's API table", &readme),
            ("the router (worker/src/api.rs)", &router),
            ("www/openapi.json", &openapi),
        ]);
        assert!(problems.is_empty(), "the API's routes are out of step:\n{}", problems.join("\n"));
    }

    #[test]
    fn no_figure_of_the_readme_is_written_twice() {
        let problems = repeated_figures(&read("README.md"), &read("ARCHITECTURE.md"));
        assert!(problems.is_empty(), "figures written in two places:\n{}", problems.join("\n"));
    }

    #[test]
    fn no_module_of_shared_imports_one_that_imports_it_back() {
        let imports = crate_module_imports("shared/src").unwrap_or_else(|e| unreachable!("{e}"));
        assert!(
            imports.len() > 20 && imports.get("ticket").is_some_and(|i| i.contains("time")),
            "shared's modules were not read: {imports:?}"
        );
        let problems = import_cycles(&imports);
        assert!(problems.is_empty(), "shared's modules import one another:\n{}", problems.join("\n"));
    }

    #[test]
    fn no_module_of_the_widget_imports_one_that_imports_it_back() {
        let mut problems = Vec::new();
        for krate in ["core", "panel", "help", "inbox", "upload"] {
            let src = format!("widget/{krate}/src");
            let imports = crate_module_imports(&src).unwrap_or_else(|e| unreachable!("{e}"));
            assert!(imports.get("lib").is_some_and(|i| !i.is_empty()), "{src} was not read: {imports:?}");
            problems.extend(import_cycles(&imports).into_iter().map(|p| format!("{src}: {p}")));
        }
        assert!(problems.is_empty(), "the widget's modules import one another:\n{}", problems.join("\n"));
    }

    #[test]
    fn imports_are_read_from_crate_paths_outside_comments() {
        let source = "//! See [`crate::docs`].\nuse crate::sla::{SlaPolicy, SlaStamp};\nuse crate::{ticket::{A, B}, time};\n/// [`crate::linked`]\nfn f() { crate::ids::TicketId::parse(\"\"); $crate::macros::x(); mycrate::other::y(); }\nuse crate::self_test as _;\n";
        let names: Vec<String> = crate_imports(source).into_iter().collect();
        assert_eq!(names, ["ids", "self_test", "sla", "ticket", "time"]);
    }

    #[test]
    fn an_import_cycle_is_named_once_with_its_path() {
        let graph = |edges: &[(&str, &str)]| {
            let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (from, to) in edges {
                imports.entry((*from).to_owned()).or_default().insert((*to).to_owned());
                imports.entry((*to).to_owned()).or_default();
            }
            imports
        };
        assert_eq!(
            import_cycles(&graph(&[("ticket", "vocab"), ("sla", "vocab"), ("ticket", "sla"), ("identity", "vocab")])),
            Vec::<String>::new()
        );
        assert_eq!(
            import_cycles(&graph(&[("sla", "ticket"), ("ticket", "sla"), ("ticket", "time")])),
            ["sla, ticket import one another: sla → ticket → sla"]
        );
        assert_eq!(
            import_cycles(&graph(&[
                ("identity", "ticket"),
                ("sla", "ticket"),
                ("ticket", "sla"),
                ("ticket", "identity"),
                ("kb", "ticket")
            ])),
            ["identity, sla, ticket import one another: identity → ticket → identity"]
        );
        assert_eq!(import_cycles(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])), ["a, b, c import one another: a → b → c → a"]);
    }

    #[test]
    fn code_map_paths_are_read_from_the_first_column() {
        let doc = "# A\n## Code map\n\n| path | what |\n|---|---|\n| `shared/src/a.rs`, `b.rs` | see `c.rs` |\n| `www/` | x |\n\n## Next\n| `nope.rs` | y |\n";
        assert_eq!(code_map_paths(doc), ["shared/src/a.rs", "shared/src/b.rs", "www/"]);
    }

    #[test]
    fn routes_are_read_from_the_readme_the_router_and_openapi() {
        let readme = "## API\n\n| request | who |\n|---|---|\n| `GET /v1/a[?x=]` with `Authorization` | x |\n| `POST /v1/a/{id}/b` `{\"body\"}` and `GET /v1/c.csv?d=` | y |\n\n## Next\n| `GET /v1/z` | z |\n";
        assert_eq!(readme_routes(readme), set(&["GET /v1/a", "GET /v1/c.csv", "POST /v1/a/{id}/b"]));
        let api = "fn other() {\n    (Method::Get, [\"v1\", \"x\"]) => x(),\n}\n\nasync fn route() {\n    match (m, p) {\n        (Method::Get, [\"v1\", \"a\"]) => a().await,\n        (Method::Post, [\"v1\", \"a\", id, \"b\"]) => b(id).await,\n        (_, [\"v1\", \"a\"]) => not_allowed(\"GET\"),\n    }\n}\n";
        assert_eq!(router_routes(api), set(&["GET /v1/a", "POST /v1/a/{id}/b"]));
        let openapi = r#"{"paths": {"/v1/a": {"get": {}, "parameters": []}, "/v1/a/{id}/b": {"post": {}}}}"#;
        assert_eq!(openapi_routes(openapi), Ok(set(&["GET /v1/a", "POST /v1/a/{id}/b"])));
    }

    #[test]
    fn a_route_missing_from_one_list_is_named() {
        let (a, b) = (set(&["GET /v1/a", "POST /v1/b"]), set(&["GET /v1/a", "GET /v1/b"]));
        assert_eq!(route_mismatches(&[("one", &a), ("two", &a)]), Vec::<String>::new());
        assert_eq!(route_mismatches(&[("one", &a), ("two", &b)]), ["POST /v1/b: in one, not in two", "GET /v1/b: in two, not in one"]);
    }

    #[test]
    fn a_figure_written_twice_is_named() {
        let cases: [(&str, &str, &[&str]); 6] = [
            ("took 113 req/s and 1.4 s, 4× slower", "", &[]),
            ("113 req/s\n\nagain 113 req/s", "", &["README.md lines 1, 3: `113 req/s` is written 2 times"]),
            ("```\n5 ms\n```\n5 ms", "", &[]),
            (
                "a 0.49× ratio\n<!-- bench:begin -->\n| 0.49× | 10 ms | 10 ms |\n<!-- bench:end -->\n",
                "",
                &["README.md line 1: `0.49 ×` repeats a figure of the bench block"],
            ),
            ("<!-- bench:begin -->\n| 10 ms | 10 ms |\n<!-- bench:end -->\nv1.2 and 2026-12-01", "", &[]),
            ("budget 40 KB", "passes 40 KB brotli", &["README.md line 1: `40 KB` is written in ARCHITECTURE.md too"]),
        ];
        for (readme, architecture, expected) in cases {
            assert_eq!(repeated_figures(readme, architecture), expected, "{readme}");
        }
    }
}
