//! What is wrong with a knowledge base file, and where.

use core::fmt;

/// The [`KbError::field`] of an error in the front matter's structure.
pub const FRONT_MATTER: &str = "front matter";
/// The [`KbError::field`] of an error in the Markdown body.
pub const BODY: &str = "body";

/// What is wrong with a knowledge base file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KbError {
    /// The file, as given to the parser.
    pub file: String,
    /// The front matter key at fault, or [`FRONT_MATTER`] or [`BODY`].
    pub field: String,
    /// The line, from 1; 0 when no single line is at fault.
    pub line: usize,
    /// What is expected there.
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.message)
    }
}

impl std::error::Error for KbError {}
