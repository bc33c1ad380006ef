//! The safe node tree an article's Markdown becomes: what the widget
//! draws, one DOM node per node, text only ever as text nodes.

use serde::{Deserialize, Serialize};

/// A block of an article's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Block {
    /// A heading.
    H {
        /// The HTML heading level, 2 to 4 (the title is level 1).
        l: u8,
        /// Its content.
        c: Vec<Inline>,
    },
    /// A paragraph.
    P {
        /// Its content.
        c: Vec<Inline>,
    },
    /// A bulleted list.
    Ul {
        /// Its items.
        i: Vec<Item>,
    },
    /// A numbered list.
    Ol {
        /// Its items.
        i: Vec<Item>,
    },
    /// A code block.
    Pre {
        /// The code, verbatim, lines separated by `\n`.
        s: String,
    },
    /// A table: a header row, then the rows of its body.
    Table {
        /// The header cells, each its content.
        h: Vec<Vec<Inline>>,
        /// The body's rows, each its cells.
        r: Vec<Vec<Vec<Inline>>>,
    },
}

/// An item of a list: its first paragraph's text, then any further blocks
/// (more paragraphs, code, nested lists, tables).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The item's text.
    pub c: Vec<Inline>,
    /// The blocks after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub b: Vec<Block>,
}

/// A piece of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Inline {
    /// Emphasis.
    Em {
        /// Its content.
        c: Vec<Inline>,
    },
    /// Strong emphasis.
    Strong {
        /// Its content.
        c: Vec<Inline>,
    },
    /// A code span.
    Code {
        /// The code, verbatim.
        s: String,
    },
    /// A link whose target passed the allowed-URL check.
    A {
        /// The target: an `http:`, `https:` or `mailto:` URL, or a path starting with one `/`.
        h: String,
        /// The label.
        c: Vec<Inline>,
    },
    /// An image of the knowledge base's `images/` folder, as the build
    /// publishes it.
    Img {
        /// Its content-hashed path on the site, under `/kb/`.
        s: String,
        /// Its alt text, never empty.
        a: String,
        /// Its width in pixels.
        w: u32,
        /// Its height in pixels.
        h: u32,
    },
    /// Plain text.
    Text {
        /// The text.
        s: String,
    },
}

/// All the text of `blocks`, for the search index: one line per heading,
/// paragraph, list item, table row and code line; code and alt text
/// included, link targets and image paths left out.
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    lines(&mut out, blocks);
    out
}

fn lines(out: &mut String, blocks: &[Block]) {
    let line = |out: &mut String, text: &str| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
    };
    for block in blocks {
        match block {
            Block::H { c, .. } | Block::P { c } => line(out, &inline_text(c)),
            Block::Ul { i } | Block::Ol { i } => {
                for item in i {
                    line(out, &inline_text(&item.c));
                    lines(out, &item.b);
                }
            }
            Block::Pre { s } => line(out, s),
            Block::Table { h, r } => {
                for row in core::iter::once(h).chain(r) {
                    let cells: Vec<String> = row.iter().map(|cell| inline_text(cell)).collect();
                    line(out, &cells.join(" "));
                }
            }
        }
    }
}

/// The text of `inlines`: their words, code and alt text, without markup.
pub fn inline_text(inlines: &[Inline]) -> String {
    fn walk(out: &mut String, inlines: &[Inline]) {
        for inline in inlines {
            match inline {
                Inline::Text { s } | Inline::Code { s } | Inline::Img { a: s, .. } => out.push_str(s),
                Inline::Em { c } | Inline::Strong { c } | Inline::A { c, .. } => walk(out, c),
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, inlines);
    out
}

/// Short constructors for the tests of the parsers.
#[cfg(all(test, any(feature = "kb", feature = "server")))]
#[cfg_attr(not(feature = "kb"), allow(dead_code))]
pub(crate) mod make {
    use super::{Block, Inline, Item};

    pub fn t(s: &str) -> Inline {
        Inline::Text { s: s.into() }
    }
    pub fn em(c: Vec<Inline>) -> Inline {
        Inline::Em { c }
    }
    pub fn strong(c: Vec<Inline>) -> Inline {
        Inline::Strong { c }
    }
    pub fn code(s: &str) -> Inline {
        Inline::Code { s: s.into() }
    }
    pub fn a(h: &str, c: Vec<Inline>) -> Inline {
        Inline::A { h: h.into(), c }
    }
    pub fn img(s: &str, a: &str, w: u32, h: u32) -> Inline {
        Inline::Img { s: s.into(), a: a.into(), w, h }
    }
    pub fn h(l: u8, c: Vec<Inline>) -> Block {
        Block::H { l, c }
    }
    pub fn p(c: Vec<Inline>) -> Block {
        Block::P { c }
    }
    /// Items of text alone.
    fn items(i: Vec<Vec<Inline>>) -> Vec<Item> {
        i.into_iter().map(|c| Item { c, b: Vec::new() }).collect()
    }
    pub fn ul(i: Vec<Vec<Inline>>) -> Block {
        Block::Ul { i: items(i) }
    }
    pub fn ol(i: Vec<Vec<Inline>>) -> Block {
        Block::Ol { i: items(i) }
    }
    pub fn item(c: Vec<Inline>, b: Vec<Block>) -> Item {
        Item { c, b }
    }
    pub fn pre(s: &str) -> Block {
        Block::Pre { s: s.into() }
    }

    /// Every inline node of `blocks`, nested ones included, in order.
    pub fn all_inlines(blocks: &[Block]) -> Vec<&Inline> {
        fn walk<'a>(inlines: &'a [Inline], out: &mut Vec<&'a Inline>) {
            for inline in inlines {
                out.push(inline);
                if let Inline::Em { c } | Inline::Strong { c } | Inline::A { c, .. } = inline {
                    walk(c, out);
                }
            }
        }
        fn blocks_into<'a>(blocks: &'a [Block], out: &mut Vec<&'a Inline>) {
            for block in blocks {
                match block {
                    Block::H { c, .. } | Block::P { c } => walk(c, out),
                    Block::Ul { i } | Block::Ol { i } => i.iter().for_each(|item| {
                        walk(&item.c, out);
                        blocks_into(&item.b, out);
                    }),
                    Block::Table { h, r } => h.iter().chain(r.iter().flatten()).for_each(|cell| walk(cell, out)),
                    Block::Pre { .. } => {}
                }
            }
        }
        let mut out = Vec::new();
        blocks_into(blocks, &mut out);
        out
    }
}
