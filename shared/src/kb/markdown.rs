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
    Table { head: Vec<Vec<Inline>>, rows: Vec<Vec<Vec<Inline>>>, in_head: bool },
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
fn close(stack: &mut Vec<Frame>, frame: Frame) -> Result<(), (usize, String)> {
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
