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
