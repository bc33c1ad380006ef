//! An article's Markdown body → the safe node tree, through
//! `pulldown-cmark` (CommonMark with GFM tables); see the rules in the
//! [`kb` module documentation](super).

use super::image::{image_name, ImageFile, Images};
use super::node::{inline_text, Block, Inline, Item};
use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

/// What is wrong in a Markdown body, and on which of its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkdownError {
    /// The line of the body, from 1.
    pub line: usize,
    /// What is expected there.
    pub message: String,
}

/// What a node under construction holds.
enum Frame {
    /// The body, or a block quote (whose blocks join its parent's).
    Blocks(Vec<Block>),
    List(bool, Vec<Item>),
    Item(Item),
    Inlines(Span, Vec<Inline>),
    Code(String),
    Html(String),
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        in_head: bool,
    },
}

/// What a run of inline content becomes when it closes.
enum Span {
    Paragraph,
    Heading(u8),
    Cell,
    Em,
    Strong,
    /// A link, with its target if it is allowed.
    Link(Option<String>),
    /// An image and where its Markdown starts (for a missing alt text).
    Image(ImageFile, usize),
    /// Anything else: its content joins its parent's.
    Other,
}

/// Parses an article's body. Whatever is not understood stays text; only
/// images can be wrong.
///
/// # Errors
/// The first image that is remote, outside `images/`, of another type, not
/// in `images`, or without alt text.
pub fn parse_markdown(text: &str, images: &Images) -> Result<Vec<Block>, MarkdownError> {
    let line_of = |offset: usize| 1 + text.get(..offset).map_or(0, |before| before.matches('\n').count());
    let mut stack = vec![Frame::Blocks(Vec::new())];
    for (event, range) in Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                let frame = match tag {
                    Tag::Paragraph => Frame::Inlines(Span::Paragraph, Vec::new()),
                    Tag::Heading { level, .. } => Frame::Inlines(Span::Heading(heading_level(level)), Vec::new()),
                    Tag::BlockQuote(_) => Frame::Blocks(Vec::new()),
                    Tag::CodeBlock(_) => Frame::Code(String::new()),
                    Tag::HtmlBlock => Frame::Html(String::new()),
                    Tag::List(start) => Frame::List(start.is_some(), Vec::new()),
                    Tag::Item => Frame::Item(Item::default()),
                    Tag::Table(_) => Frame::Table { head: Vec::new(), rows: Vec::new(), in_head: false },
                    Tag::TableHead | Tag::TableRow => {
                        if let Some(Frame::Table { rows, in_head, .. }) = stack.last_mut() {
                            match tag {
                                Tag::TableHead => *in_head = true,
                                _ => rows.push(Vec::new()),
                            }
                        }
                        continue;
                    }
                    Tag::TableCell => Frame::Inlines(Span::Cell, Vec::new()),
                    Tag::Emphasis => Frame::Inlines(Span::Em, Vec::new()),
                    Tag::Strong => Frame::Inlines(Span::Strong, Vec::new()),
                    Tag::Link { link_type, dest_url, .. } => {
                        let target = match link_type {
                            LinkType::Email => safe_href(&format!("mailto:{dest_url}")),
                            _ => safe_href(&dest_url),
                        };
                        Frame::Inlines(Span::Link(target), Vec::new())
                    }
                    Tag::Image { dest_url, .. } => {
                        let error = |message: String| MarkdownError { line: line_of(range.start), message };
                        let name = image_name(&dest_url).map_err(error)?;
                        let file = images.get(name).ok_or_else(|| {
                            error(format!("`{name}` is not in the knowledge base's images (the file `kb/{name}` is missing)"))
                        })?;
                        Frame::Inlines(Span::Image(file.clone(), range.start), Vec::new())
                    }
                    _ => Frame::Inlines(Span::Other, Vec::new()),
                };
                stack.push(frame);
            }
            Event::End(TagEnd::TableHead) => {
                if let Some(Frame::Table { in_head, .. }) = stack.last_mut() {
                    *in_head = false;
                }
            }
            Event::End(TagEnd::TableRow) => {}
            Event::End(_) => {
                let Some(frame) = stack.pop() else { break };
                close(&mut stack, frame).map_err(|(offset, message)| MarkdownError { line: line_of(offset), message })?;
            }
            Event::Text(s) => match stack.last_mut() {
                Some(Frame::Code(code)) => code.push_str(&s),
                _ => push_inline(&mut stack, Inline::Text { s: s.into_string() }),
            },
            Event::Html(s) => match stack.last_mut() {
                Some(Frame::Html(html)) => html.push_str(&s),
                _ => push_inline(&mut stack, Inline::Text { s: s.trim().to_owned() }),
            },
            Event::Code(s) => push_inline(&mut stack, Inline::Code { s: s.into_string() }),
            // Raw HTML is text, like any other.
            Event::InlineHtml(s) | Event::InlineMath(s) | Event::DisplayMath(s) | Event::FootnoteReference(s) => {
                push_inline(&mut stack, Inline::Text { s: s.into_string() });
            }
            Event::SoftBreak | Event::HardBreak => push_inline(&mut stack, Inline::Text { s: " ".into() }),
            Event::Rule | Event::TaskListMarker(_) => {}
        }
    }
    // The parser closes every tag it opens; anything left joins the body.
    while stack.len() > 1 {
        if let Some(frame) = stack.pop() {
            close(&mut stack, frame).map_err(|(offset, message)| MarkdownError { line: line_of(offset), message })?;
        }
    }
    Ok(match stack.pop() {
        Some(Frame::Blocks(blocks)) => blocks,
        _ => Vec::new(),
    })
}

/// Adds a closed frame to its parent; an image without alt text is an
/// error at its offset.
fn close(stack: &mut [Frame], frame: Frame) -> Result<(), (usize, String)> {
    match frame {
        Frame::Blocks(blocks) => blocks.into_iter().for_each(|block| push_block(stack, block)),
        Frame::List(ordered, i) => push_block(stack, if ordered { Block::Ol { i } } else { Block::Ul { i } }),
        Frame::Item(item) => {
            if let Some(Frame::List(_, items)) = stack.last_mut() {
                items.push(item);
            }
        }
        Frame::Code(code) => push_block(stack, Block::Pre { s: code.strip_suffix('\n').unwrap_or(&code).to_owned() }),
        Frame::Html(html) => {
            let text: Vec<&str> = html.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
            if !text.is_empty() {
                push_block(stack, Block::P { c: vec![Inline::Text { s: text.join(" ") }] });
            }
        }
        Frame::Table { head, rows, .. } => push_block(stack, Block::Table { h: head, r: rows }),
        Frame::Inlines(span, c) => match span {
            Span::Paragraph if c.is_empty() => {}
            Span::Paragraph => push_block(stack, Block::P { c }),
            Span::Heading(_) if c.is_empty() => {}
            Span::Heading(l) => push_block(stack, Block::H { l, c }),
            Span::Cell => match stack.last_mut() {
                Some(Frame::Table { head, in_head: true, .. }) => head.push(c),
                Some(Frame::Table { rows, .. }) => {
                    if let Some(row) = rows.last_mut() {
                        row.push(c);
                    }
                }
                _ => {}
            },
            Span::Em => push_inline(stack, Inline::Em { c }),
            Span::Strong => push_inline(stack, Inline::Strong { c }),
            Span::Link(Some(h)) => push_inline(stack, Inline::A { h, c }),
            // A link to anywhere else leaves just its label, as plain text.
            Span::Link(None) => push_inline(stack, Inline::Text { s: inline_text(&c) }),
            Span::Image(file, offset) => {
                let alt = inline_text(&c).trim().to_owned();
                if alt.is_empty() {
                    return Err((offset, "an image needs alt text saying what it shows: `![The billing page](images/…)`".into()));
                }
                push_inline(stack, Inline::Img { s: file.src, a: alt, w: file.width, h: file.height });
            }
            Span::Other => c.into_iter().for_each(|inline| push_inline(stack, inline)),
        },
    }
    Ok(())
}

/// Adds a block to the innermost frame that holds blocks: a list item's
/// first paragraph is its text.
fn push_block(stack: &mut [Frame], block: Block) {
    for frame in stack.iter_mut().rev() {
        match frame {
            Frame::Blocks(blocks) => return blocks.push(block),
            Frame::Item(item) => {
                match block {
                    Block::P { c } if item.c.is_empty() && item.b.is_empty() => item.c = c,
                    block => item.b.push(block),
                }
                return;
            }
            _ => {}
        }
    }
}

/// Adds an inline node to the innermost frame that holds text, merging
/// adjacent text; text outside a paragraph (a tight list item's) starts one.
fn push_inline(stack: &mut [Frame], inline: Inline) {
    let target = match stack.last_mut() {
        Some(Frame::Inlines(_, c)) => c,
        Some(Frame::Item(item)) if item.b.is_empty() => &mut item.c,
        Some(Frame::Item(Item { b: blocks, .. }) | Frame::Blocks(blocks)) => {
            if !matches!(blocks.last(), Some(Block::P { .. })) {
                blocks.push(Block::P { c: Vec::new() });
            }
            match blocks.last_mut() {
                Some(Block::P { c }) => c,
                _ => return,
            }
        }
        _ => return,
    };
    match (target.last_mut(), inline) {
        (_, Inline::Text { s }) if s.is_empty() => {}
        (Some(Inline::Text { s: last }), Inline::Text { s }) => last.push_str(&s),
        (_, inline) => target.push(inline),
    }
}

/// `#` is level 2 (the title is level 1), `##` level 3, deeper ones level 4.
fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 2,
        HeadingLevel::H2 => 3,
        _ => 4,
    }
}

/// The link target when it is allowed: `http:`, `https:` or `mailto:`
/// (any case), or a path starting with exactly one `/`; never anything
/// with white space, control characters or a backslash in it.
pub fn safe_href(destination: &str) -> Option<String> {
    let url = destination.trim();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return None;
    }
    let allowed = match url.strip_prefix('/') {
        Some(rest) => !rest.starts_with('/'),
        None => url.split_once(':').is_some_and(|(scheme, _)| ["http", "https", "mailto"].iter().any(|s| scheme.eq_ignore_ascii_case(s))),
    };
    allowed.then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::node::make::*;
    use crate::kb::node::plain_text;

    /// The images of a knowledge base with one, `images/a.png`.
    fn one_image() -> Images {
        let file = ImageFile { src: "/kb/images/a.0123456789abcdef.png".into(), width: 640, height: 400 };
        Images::from([("images/a.png".to_owned(), file)])
    }

    fn md(text: &str) -> Result<Vec<Block>, MarkdownError> {
        parse_markdown(text, &Images::new())
    }

    #[test]
    fn markdown_becomes_nodes() {
        let cases: Vec<(&str, &str, Vec<Block>)> = vec![
            (
                "heading levels",
                "# A\n## B\n### C\n#### D\n###### E",
                vec![h(2, vec![t("A")]), h(3, vec![t("B")]), h(4, vec![t("C")]), h(4, vec![t("D")]), h(4, vec![t("E")])],
            ),
            ("heading needs a space", "#hashtag and ####### seven", vec![p(vec![t("#hashtag and ####### seven")])]),
            ("closing hashes", "## Title ##\n# C#", vec![h(3, vec![t("Title")]), h(2, vec![t("C#")])]),
            ("empty heading dropped", "#\ntext", vec![p(vec![t("text")])]),
            ("heading with inline", "## Use `id` *here*", vec![h(3, vec![t("Use "), code("id"), t(" "), em(vec![t("here")])])]),
            ("paragraphs", "one\n  two  \n\n\nthree", vec![p(vec![t("one two")]), p(vec![t("three")])]),
            ("crlf", "a\r\nb\r\n\r\nc\r\n", vec![p(vec![t("a b")]), p(vec![t("c")])]),
            (
                "emphasis kinds",
                "*a* _b_ **c** __d__",
                vec![p(vec![em(vec![t("a")]), t(" "), em(vec![t("b")]), t(" "), strong(vec![t("c")]), t(" "), strong(vec![t("d")])])],
            ),
            ("em inside strong", "**bold *it* more**", vec![p(vec![strong(vec![t("bold "), em(vec![t("it")]), t(" more")])])]),
            ("strong inside em", "*a **b** c*", vec![p(vec![em(vec![t("a "), strong(vec![t("b")]), t(" c")])])]),
            ("triple", "***both***", vec![p(vec![em(vec![strong(vec![t("both")])])])]),
            (
                "strong ending in punctuation",
                "Click **Forgot password?** now",
                vec![p(vec![t("Click "), strong(vec![t("Forgot password?")]), t(" now")])],
            ),
            ("intraword underscores", "set password_reset_link and _x_y", vec![p(vec![t("set password_reset_link and _x_y")])]),
            ("unclosed markers", "*open and **half and _under", vec![p(vec![t("*open and **half and _under")])]),
            ("spaced stars", "2 * 3 * 4", vec![p(vec![t("2 * 3 * 4")])]),
            ("code span", "use `x*y` and `<b>`", vec![p(vec![t("use "), code("x*y"), t(" and "), code("<b>")])]),
            ("double backticks", "``a ` b`` and `` `x` ``", vec![p(vec![code("a ` b"), t(" and "), code("`x`")])]),
            ("code keeps backslashes", r"`C:\path\*`", vec![p(vec![code(r"C:\path\*")])]),
            ("unclosed code", "an `open span", vec![p(vec![t("an `open span")])]),
            ("escapes", r"\*not em\* \[x](/y) \` \_ \\ a\b", vec![p(vec![t(r"*not em* [x](/y) ` _ \ a\b")])]),
            (
                "link",
                "See [the docs](https://docs.example.com/a?b=1).",
                vec![p(vec![t("See "), a("https://docs.example.com/a?b=1", vec![t("the docs")]), t(".")])],
            ),
            (
                "link kinds",
                "[m](mailto:help@example.com) [r](/help/x) [u](HTTPS://EX.COM) [p](http://x.y/a_(b))",
                vec![p(vec![
                    a("mailto:help@example.com", vec![t("m")]),
                    t(" "),
                    a("/help/x", vec![t("r")]),
                    t(" "),
                    a("HTTPS://EX.COM", vec![t("u")]),
                    t(" "),
                    a("http://x.y/a_(b)", vec![t("p")]),
                ])],
            ),
            (
                "link title and angle brackets",
                r#"[t](/x "Title") [u](<https://a.b/c>)"#,
                vec![p(vec![a("/x", vec![t("t")]), t(" "), a("https://a.b/c", vec![t("u")])])],
            ),
            ("link label formatting", "[**Docs** `v1`](/d)", vec![p(vec![a("/d", vec![strong(vec![t("Docs")]), t(" "), code("v1")])])]),
            ("emphasis around a link", "*see [x](/y)*", vec![p(vec![em(vec![t("see "), a("/y", vec![t("x")])])])]),
            ("not links", "[x] (y) and [x] and [x](no close", vec![p(vec![t("[x] (y) and [x] and [x](no close")])]),
            (
                "raw html stays text",
                "<script>alert(1)</script> <img src=x onerror=alert(1)>",
                vec![p(vec![t("<script>alert(1)</script> <img src=x onerror=alert(1)>")])],
            ),
            ("bullets", "- a\n- b\n- c", vec![ul(vec![vec![t("a")], vec![t("b")], vec![t("c")]])]),
            ("another bullet character starts another list", "- a\n* b", vec![ul(vec![vec![t("a")]]), ul(vec![vec![t("b")]])]),
            (
                "numbered with continuation",
                "1. one\n2. two\n   more *x*",
                vec![ol(vec![vec![t("one")], vec![t("two more "), em(vec![t("x")])]])],
            ),
            ("blank lines keep the list", "- a\n\n- b", vec![ul(vec![vec![t("a")], vec![t("b")]])]),
            (
                "nested lists",
                "- a\n  - b\n    1. c\n  - d\n- e",
                vec![Block::Ul {
                    i: vec![
                        item(
                            vec![t("a")],
                            vec![Block::Ul { i: vec![item(vec![t("b")], vec![ol(vec![vec![t("c")]])]), item(vec![t("d")], vec![])] }],
                        ),
                        item(vec![t("e")], vec![]),
                    ],
                }],
            ),
            (
                "an item's further paragraphs and code",
                "1. one\n\n   more\n\n       code\n2. two",
                vec![Block::Ol { i: vec![item(vec![t("one")], vec![p(vec![t("more")]), pre("code")]), item(vec![t("two")], vec![])] }],
            ),
            ("an item starting with code", "- ```\n  x\n  ```", vec![Block::Ul { i: vec![item(vec![], vec![pre("x")])] }]),
            ("kind change", "- a\n1. b", vec![ul(vec![vec![t("a")]]), ol(vec![vec![t("b")]])]),
            ("a blank line and text end a list", "- a\n\ntext", vec![ul(vec![vec![t("a")]]), p(vec![t("text")])]),
            ("an unindented line continues the item", "- a\ntext", vec![ul(vec![vec![t("a text")]])]),
            ("bullet interrupts a paragraph", "para\n- item", vec![p(vec![t("para")]), ul(vec![vec![t("item")]])]),
            ("number other than 1 does not", "The count is\n14. Fine", vec![p(vec![t("The count is 14. Fine")])]),
            ("list item formatting", "- **Bold**: yes", vec![ul(vec![vec![strong(vec![t("Bold")]), t(": yes")]])]),
            ("not list markers", "-dash *em* 1.5 apples", vec![p(vec![t("-dash "), em(vec![t("em")]), t(" 1.5 apples")])]),
            (
                "fence",
                "```rust\nfn main() {\n    *x* <b>\n\n}\n```\nafter",
                vec![pre("fn main() {\n    *x* <b>\n\n}"), p(vec![t("after")])],
            ),
            ("fence interrupts", "text\n```\nx\n```", vec![p(vec![t("text")]), pre("x")]),
            ("empty fence", "```\n```", vec![pre("")]),
            ("unclosed fence", "```\ncode\n  more", vec![pre("code\n  more")]),
            ("indented code", "text\n\n    let x = 1;\n      y", vec![p(vec![t("text")]), pre("let x = 1;\n  y")]),
            ("setext heading", "Title\n=====\nSub\n---", vec![h(2, vec![t("Title")]), h(3, vec![t("Sub")])]),
            ("hard break is a space", "a  \nb\\\nc", vec![p(vec![t("a b c")])]),
            (
                "block quote joins the article",
                "> quoted *x*\n>\n> - y",
                vec![p(vec![t("quoted "), em(vec![t("x")])]), ul(vec![vec![t("y")]])],
            ),
            ("thematic break dropped", "a\n\n***\n\nb", vec![p(vec![t("a")]), p(vec![t("b")])]),
            (
                "html block stays text",
                "<div onclick=\"x()\">\n**not bold**\n</div>",
                vec![p(vec![t("<div onclick=\"x()\"> **not bold** </div>")])],
            ),
            ("entities are decoded into text", "&lt;b&gt; &amp; &#42;", vec![p(vec![t("<b> & *")])]),
            ("strikethrough stays as written", "~~old~~", vec![p(vec![t("~~old~~")])]),
            ("email autolink", "<help@example.com>", vec![p(vec![a("mailto:help@example.com", vec![t("help@example.com")])])]),
            ("url autolink", "<https://a.example/x>", vec![p(vec![a("https://a.example/x", vec![t("https://a.example/x")])])]),
            ("reference link", "[docs][d]\n\n[d]: /docs \"Docs\"", vec![p(vec![a("/docs", vec![t("docs")])])]),
            ("nothing", " \n\n", vec![]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(md(input), Ok(expected), "{name}");
        }
    }

    #[test]
    fn links_to_other_schemes_become_their_label() {
        for markdown in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1)  )",
            "[x](javascript&#58;alert(1))",
            "[x](https://ok.example\u{7f})",
            "[x](java\\script:alert(1))",
            r"[x](javascript\:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[x](vbscript:msgbox(1))",
            "[x](//evil.example/x)",
            r"[x](/\evil.example)",
            "[x](<java script:alert(1)>)",
            "[x](relative/path)",
            "[x](#top)",
            "[x]()",
            "[x](httpsx://evil)",
            "[x](https\u{200b}:evil)",
            "[*x*](javascript:alert(1))",
            "[x][r]\n\n[r]: javascript:alert(1)",
            "[x]\n\n[x]: data:text/html,x",
        ] {
            assert_eq!(md(markdown), Ok(vec![p(vec![t("x")])]), "{markdown:?}");
        }
    }

    #[test]
    fn destinations_with_spaces_or_control_characters_are_not_links() {
        for markdown in [
            "[x](java\tscript:alert(1))",
            "[x](java\u{0}script:alert(1))",
            "[x](java\u{1b}script:alert(1))",
            "[x](\u{1}https://ok.example)",
        ] {
            assert_eq!(md(markdown), Ok(vec![p(vec![t(markdown)])]), "{markdown:?}");
        }
        let autolink = md("<javascript:alert(1)> <JAVASCRIPT:x>");
        assert_eq!(autolink, Ok(vec![p(vec![t("javascript:alert(1) JAVASCRIPT:x")])]));
    }

    #[test]
    fn tables_have_a_header_row_and_body_rows() {
        let got = md("Intro\n\n| Plan | **Price** |\n|:---|---:|\n| Free | `0` |\n| Team | [9](/pricing) \\| month |\n\nAfter");
        let table = Block::Table {
            h: vec![vec![t("Plan")], vec![strong(vec![t("Price")])]],
            r: vec![vec![vec![t("Free")], vec![code("0")]], vec![vec![t("Team")], vec![a("/pricing", vec![t("9")]), t(" | month")]]],
        };
        assert_eq!(got, Ok(vec![p(vec![t("Intro")]), table, p(vec![t("After")])]));
        // A short row is filled with empty cells, a long one cut to the header's width.
        let got = md("| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |");
        let table =
            Block::Table { h: vec![vec![t("a")], vec![t("b")]], r: vec![vec![vec![t("1")], vec![]], vec![vec![t("1")], vec![t("2")]]] };
        assert_eq!(got, Ok(vec![table]));
        // Without the delimiter row it is a paragraph.
        assert_eq!(md("| a | b |\n| 1 | 2 |"), Ok(vec![p(vec![t("| a | b | | 1 | 2 |")])]));
        let got = md("- | a |\n  |---|\n  | <b> |").unwrap_or_default();
        let expected = Block::Table { h: vec![vec![t("a")]], r: vec![vec![vec![t("<b>")]]] };
        assert_eq!(got, vec![Block::Ul { i: vec![item(vec![], vec![expected])] }]);
        assert_eq!(plain_text(&md("| a | b |\n|---|---|\n| 1 | 2 |").unwrap_or_default()), "a b\n1 2");
    }

    #[test]
    fn images_of_the_knowledge_base_carry_their_published_path_alt_text_and_size() {
        let shot = img("/kb/images/a.0123456789abcdef.png", "The billing page", 640, 400);
        for (name, markdown, expected) in [
            ("inline", "See ![The billing page](images/a.png) here.", vec![p(vec![t("See "), shot.clone(), t(" here.")])]),
            ("with ./ and a title", "![The billing page](./images/a.png \"Billing\")", vec![p(vec![shot.clone()])]),
            ("from a locale folder", "![The billing page](../images/a.png)", vec![p(vec![shot.clone()])]),
            ("alt text without its markup", "![The *billing* page](images/a.png)", vec![p(vec![shot.clone()])]),
            ("inside a link", "[![The billing page](images/a.png)](/billing)", vec![p(vec![a("/billing", vec![shot.clone()])])]),
            (
                "in a table cell",
                "| Screen |\n|---|\n| ![The billing page](images/a.png) |",
                vec![Block::Table { h: vec![vec![t("Screen")]], r: vec![vec![vec![shot.clone()]]] }],
            ),
            ("by reference", "![The billing page][s]\n\n[s]: images/a.png", vec![p(vec![shot.clone()])]),
        ] {
            assert_eq!(parse_markdown(markdown, &one_image()), Ok(expected), "{name}");
        }
        assert_eq!(plain_text(&[p(vec![t("See "), shot])]), "See The billing page", "alt text is searchable");
    }

    #[test]
    fn a_wrong_image_is_an_error_on_its_line() {
        for (markdown, line, message) in [
            ("Text\n\n![](images/a.png)", 3, "needs alt text"),
            ("![ ](images/a.png)", 1, "needs alt text"),
            ("a\nb ![x](images/missing.png)", 2, "`images/missing.png` is not in the knowledge base's images"),
            ("![x](https://cdn.example/a.png)", 1, "is not in the knowledge base"),
            ("![x](//cdn.example/a.png)", 1, "is not in the knowledge base"),
            ("![x](javascript:alert(1))", 1, "is not in the knowledge base"),
            ("![x](data:image/png;base64,AAAA)", 1, "is not in the knowledge base"),
            ("![x](a.png)", 1, "outside `kb/images/`"),
            ("![x](/kb/images/a.png)", 1, "outside `kb/images/`"),
            ("![x](images/../secret.png)", 1, "outside `kb/images/`"),
            ("![x](images/sub/a.png)", 1, "outside `kb/images/`"),
            ("![x](../../images/a.png)", 1, "outside `kb/images/`"),
            ("![x](../en/images/a.png)", 1, "outside `kb/images/`"),
            ("![x](images/.a.png)", 1, "outside `kb/images/`"),
            ("![x](images/a%20b.png)", 1, "outside `kb/images/`"),
            ("![x](images/guide.pdf)", 1, "not a PNG, JPEG, GIF, WebP or SVG image"),
            ("- item\n\n  | a |\n  |---|\n  | ![x](images/b.gif) |", 5, "`images/b.gif` is not in"),
        ] {
            let error = parse_markdown(markdown, &one_image()).err();
            assert_eq!(error.as_ref().map(|e| e.line), Some(line), "{markdown:?}: {error:?}");
            assert!(error.is_some_and(|e| e.message.contains(message)), "{markdown:?}");
        }
    }

    #[test]
    fn plain_text_keeps_words_and_code_not_targets() {
        let blocks = md("# Title\n\nSee [the *docs*](https://secret.example) and `code`.\n\n- one\n- two\n\n```\nx = 1\ny = 2\n```");
        let blocks = blocks.unwrap_or_default();
        assert_eq!(plain_text(&blocks), "Title\nSee the docs and code.\none\ntwo\nx = 1\ny = 2");
        assert_eq!(plain_text(&[]), "");
    }

    /// Property tests: host only (proptest's random source does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Pieces that exercise every rule of the parser, and some hostile ones.
        const PIECES: &[&str] = &[
            "*",
            "_",
            "**",
            "__",
            "`",
            "``",
            "[",
            "]",
            "](",
            "(",
            ")",
            "![",
            "](images/a.png)",
            "images/",
            "|",
            "|---|",
            "> ",
            "    ",
            "~~",
            "\\",
            "\\*",
            "<",
            ">",
            "\"",
            " ",
            "\t",
            "\n",
            "\n\n",
            "\r\n",
            "- ",
            "* ",
            "1. ",
            "2. ",
            "  ",
            "# ",
            "## ",
            "```",
            "a",
            "word",
            "é",
            "→",
            "javascript:alert(1)",
            "JaVaScRiPt:",
            "https://ok.example",
            "mailto:a@b.co",
            "/path",
            "//evil",
            "data:",
            "<script>",
            "onerror=",
            "\u{0}",
            "\u{200b}",
        ];

        fn config() -> ProptestConfig {
            ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_text_parses_to_safe_nodes(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..60)) {
                let text = pieces.concat();
                let blocks = match parse_markdown(&text, &one_image()) {
                    Ok(blocks) => blocks,
                    // Only an image can be refused, on a line of the text.
                    Err(e) => {
                        prop_assert!(text.contains("!["), "{e:?} from {text:?}");
                        prop_assert!((1..=text.lines().count().max(1)).contains(&e.line), "{e:?} from {text:?}");
                        return Ok(());
                    }
                };
                for inline in all_inlines(&blocks) {
                    if let Inline::A { h, .. } = inline {
                        prop_assert!(safe_href(h).as_deref() == Some(h.as_str()), "{h:?} from {text:?}");
                    }
                    if let Inline::Text { s } = inline {
                        prop_assert!(!s.is_empty(), "empty text from {text:?}");
                    }
                    if let Inline::Img { s, a, .. } = inline {
                        prop_assert!(s == "/kb/images/a.0123456789abcdef.png" && !a.trim().is_empty(), "{inline:?} from {text:?}");
                    }
                }
                for block in &blocks {
                    if let Block::H { l, .. } = block {
                        prop_assert!((2..=4).contains(l));
                    }
                }
                let json = serde_json::to_string(&blocks).unwrap_or_default();
                prop_assert_eq!(serde_json::from_str::<Vec<Block>>(&json).ok(), Some(blocks));
            }
        }
    }
}
