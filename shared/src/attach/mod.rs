//! Attachments: which files are accepted, judged from their bytes alone.
//!
//! A file's type is [`sniff`]ed from its first bytes (magic numbers; a
//! raster image's dimensions from its header), never taken from its name
//! or the `Content-Type` a browser claims; a claim that contradicts the
//! bytes is refused ([`check_claim`]). Names are checked and shortened by
//! [`sanitize_name`]; sizes and counts by a site's [`Limits`]. What is
//! stored and sent about a file is a [`FileInfo`]. Every refusal is a
//! [`Refusal`] with its status, field and stable code, and nothing is
//! stored for it.

mod name;
mod sniff;

pub use name::{sanitize_name, MAX_NAME_BYTES};
pub use sniff::{check_claim, sniff, Sniffed, SNIFF_BYTES};

#[cfg(feature = "server")]
use crate::problem::Problem;
use serde::{Deserialize, Serialize};

crate::vocab::string_enum! {
    /// The kinds of file Buoy stores, each recognised by its bytes.
    FileKind {
        /// PNG image.
        Png = "png",
        /// JPEG image.
        Jpeg = "jpeg",
        /// GIF image.
        Gif = "gif",
        /// WebP image.
        Webp = "webp",
        /// PDF document.
        Pdf = "pdf",
        /// Plain text (logs, CSV): UTF-8 without control characters or markup.
        Text = "text",
        /// ZIP archive.
        Zip = "zip",
    }
}

impl FileKind {
    /// The media type a file of this kind is served with.
    pub const fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Text => "text/plain; charset=utf-8",
            Self::Zip => "application/zip",
        }
    }

    /// Whether it is a raster image: shown inline (and as a thumbnail);
    /// every other kind is served as a download.
    pub const fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Gif | Self::Webp)
    }
}

/// A stored file as every side sees it (the upload's answer, a message's
/// `attachments`, the attachment event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The file's random id.
    pub id: String,
    /// Its name, sanitised ([`sanitize_name`]).
    pub name: String,
    /// The media type it is served with ([`FileKind::mime`]).
    #[serde(rename = "type")]
    pub mime: String,
    /// Its sniffed kind.
    pub kind: FileKind,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// An image's width in pixels, when its header gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// An image's height in pixels, when its header gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// A site's attachment limits: its `[sites.<id>.attachments]` table. The
/// table's presence turns attachments on; each value has a safe default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The largest file, in bytes (decimal: 10 MB by default).
    #[serde(default = "default_file_bytes")]
    pub max_file_bytes: u64,
    /// The most bytes of files one message carries (25 MB by default).
    #[serde(default = "default_message_bytes")]
    pub max_message_bytes: u64,
    /// The most files one message carries (5 by default).
    #[serde(default = "default_files")]
    pub max_files: u32,
    /// The kinds accepted (all of [`FileKind::ALL`] by default); a site
    /// may only narrow the list.
    #[serde(default = "default_types")]
    pub types: Vec<FileKind>,
}

/// 10 MB, decimal like the mail size caps.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10_000_000;
/// 25 MB.
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 25_000_000;
/// Five files a message.
pub const DEFAULT_MAX_FILES: u32 = 5;

const fn default_file_bytes() -> u64 {
    DEFAULT_MAX_FILE_BYTES
}
const fn default_message_bytes() -> u64 {
    DEFAULT_MAX_MESSAGE_BYTES
}
const fn default_files() -> u32 {
    DEFAULT_MAX_FILES
}
fn default_types() -> Vec<FileKind> {
    FileKind::ALL.to_vec()
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_files: DEFAULT_MAX_FILES,
            types: default_types(),
        }
    }
}

impl Limits {
    /// What is wrong with the table, as `(field, message)`: a zero, a file
    /// cap above the message cap, no types.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if self.max_file_bytes == 0 {
            return Some(("max_file_bytes", "must be at least 1 byte"));
        }
        if self.max_message_bytes == 0 {
            return Some(("max_message_bytes", "must be at least 1 byte"));
        }
        if self.max_files == 0 {
            return Some(("max_files", "must be at least 1"));
        }
        if self.max_file_bytes > self.max_message_bytes {
            return Some(("max_file_bytes", "must not be above max_message_bytes: no message could carry such a file"));
        }
        if self.types.is_empty() {
            return Some(("types", "list at least one type, or remove the [attachments] table to turn attachments off"));
        }
        None
    }

    /// Whether a file of `declared` bytes (its `Content-Length`) may be
    /// uploaded at all: checked before a byte of it is read.
    ///
    /// # Errors
    /// [`Refusal::EmptyFile`] or [`Refusal::FileTooLarge`].
    pub fn check_file(&self, declared: u64) -> Result<(), Refusal> {
        match declared {
            0 => Err(Refusal::EmptyFile),
            n if n > self.max_file_bytes => Err(Refusal::FileTooLarge),
            _ => Ok(()),
        }
    }

    /// Whether the site accepts files of `kind`.
    ///
    /// # Errors
    /// [`Refusal::UnsupportedType`] for a kind the site narrowed away.
    pub fn check_kind(&self, kind: FileKind) -> Result<(), Refusal> {
        if self.types.contains(&kind) {
            Ok(())
        } else {
            Err(Refusal::UnsupportedType)
        }
    }

    /// Whether one message may carry files of these sizes.
    ///
    /// # Errors
    /// [`Refusal::TooManyFiles`] or [`Refusal::MessageTooLarge`].
    pub fn check_message(&self, sizes: &[u64]) -> Result<(), Refusal> {
        if sizes.len() > self.max_files as usize {
            return Err(Refusal::TooManyFiles);
        }
        if sizes.iter().fold(0u64, |sum, s| sum.saturating_add(*s)) > self.max_message_bytes {
            return Err(Refusal::MessageTooLarge);
        }
        Ok(())
    }
}

/// Why a file, or a message's files, are refused. Nothing is stored for
/// a refused file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The upload did not state its `Content-Length`.
    LengthRequired,
    /// Larger than the site's `max_file_bytes`.
    FileTooLarge,
    /// No bytes at all.
    EmptyFile,
    /// The bytes are not one of the kinds the site accepts: SVG, HTML,
    /// XML, executables and anything unrecognised among them.
    UnsupportedType,
    /// The name's extension or the claimed `Content-Type` says another
    /// kind than the bytes are.
    TypeMismatch,
    /// No name was given, or it is only white space.
    NameRequired,
    /// The name holds a path separator, `..`, a control character or a
    /// bidirectional override, or is not UTF-8.
    InvalidName,
    /// More files in one message than the site's `max_files`.
    TooManyFiles,
    /// The message's files together are over `max_message_bytes`.
    MessageTooLarge,
    /// An upload id that is unknown, expired, already attached, or
    /// another site's.
    UnknownUpload,
}

impl Refusal {
    /// Every refusal, for tests and documentation.
    pub const ALL: &'static [Self] = &[
        Self::LengthRequired,
        Self::FileTooLarge,
        Self::EmptyFile,
        Self::UnsupportedType,
        Self::TypeMismatch,
        Self::NameRequired,
        Self::InvalidName,
        Self::TooManyFiles,
        Self::MessageTooLarge,
        Self::UnknownUpload,
    ];

    /// The stable code of its field error.
    pub const fn code(self) -> &'static str {
        match self {
            Self::LengthRequired => "length_required",
            Self::FileTooLarge => "file_too_large",
            Self::EmptyFile => "empty_file",
            Self::UnsupportedType => "unsupported_type",
            Self::TypeMismatch => "type_mismatch",
            Self::NameRequired => "name_required",
            Self::InvalidName => "invalid_name",
            Self::TooManyFiles => "too_many_files",
            Self::MessageTooLarge => "message_too_large",
            Self::UnknownUpload => "unknown_upload",
        }
    }

    /// The field it is reported on: `file` for an upload, `attachments`
    /// for a message's list of uploads.
    pub const fn field(self) -> &'static str {
        match self {
            Self::TooManyFiles | Self::MessageTooLarge | Self::UnknownUpload => "attachments",
            _ => "file",
        }
    }

    /// The problem the response is (its status and top-level code).
    #[cfg(feature = "server")]
    pub const fn problem(self) -> Problem {
        match self {
            Self::LengthRequired => Problem::LengthRequired,
            Self::FileTooLarge => Problem::FileTooLarge,
            Self::UnsupportedType | Self::TypeMismatch => Problem::UnsupportedFileType,
            Self::EmptyFile | Self::NameRequired | Self::InvalidName | Self::TooManyFiles | Self::MessageTooLarge | Self::UnknownUpload => {
                Problem::ValidationFailed
            }
        }
    }
}

/// The header an upload names its file in, percent-encoded UTF-8.
pub const FILE_NAME_HEADER: &str = "buoy-file-name";

/// How long an upload waits to be attached before the sweep deletes it:
/// 24 hours, after which its id is unknown.
pub const PENDING_MS: i64 = 24 * 3600 * 1000;

/// The `Content-Disposition` a file is served with: `inline` for a raster
/// image, `attachment` (a download, never rendered) for everything else,
/// with its name as RFC 8187 `filename*` (UTF-8, percent-encoded).
pub fn content_disposition(kind: FileKind, name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let how = if kind.is_image() { "inline" } else { "attachment" };
    format!("{how}; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_served_type_and_only_raster_images_show_inline() {
        let table = [
            (FileKind::Png, "image/png", true),
            (FileKind::Jpeg, "image/jpeg", true),
            (FileKind::Gif, "image/gif", true),
            (FileKind::Webp, "image/webp", true),
            (FileKind::Pdf, "application/pdf", false),
            (FileKind::Text, "text/plain; charset=utf-8", false),
            (FileKind::Zip, "application/zip", false),
        ];
        assert_eq!(table.len(), FileKind::ALL.len());
        for (kind, mime, inline) in table {
            assert_eq!((kind.mime(), kind.is_image()), (mime, inline), "{kind}");
        }
    }

    #[test]
    fn the_defaults_are_10_mb_a_file_25_mb_and_5_files_a_message_every_type() {
        let limits: Limits = serde_json::from_str("{}").unwrap_or_default();
        assert_eq!(limits, Limits::default());
        assert_eq!((limits.max_file_bytes, limits.max_message_bytes, limits.max_files), (10_000_000, 25_000_000, 5));
        assert_eq!(limits.types, FileKind::ALL);
        assert_eq!(limits.problem(), None);
    }

    #[test]
    fn a_table_with_a_zero_or_a_file_cap_over_the_message_cap_is_refused() {
        let base = Limits::default();
        for (limits, field) in [
            (Limits { max_file_bytes: 0, ..base.clone() }, "max_file_bytes"),
            (Limits { max_message_bytes: 0, ..base.clone() }, "max_message_bytes"),
            (Limits { max_files: 0, ..base.clone() }, "max_files"),
            (Limits { max_file_bytes: 30_000_000, ..base.clone() }, "max_file_bytes"),
            (Limits { types: vec![], ..base }, "types"),
        ] {
            assert_eq!(limits.problem().map(|(f, _)| f), Some(field), "{limits:?}");
        }
    }

    #[test]
    fn an_unknown_type_name_in_the_table_is_named_in_the_error() {
        let error = serde_json::from_str::<Limits>(r#"{"types": ["png", "svg"]}"#).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("svg"), "{error}");
    }

    #[test]
    fn a_file_is_refused_empty_or_one_byte_over_the_cap() {
        let limits = Limits::default();
        for (size, answer) in [(0, Err(Refusal::EmptyFile)), (1, Ok(())), (10_000_000, Ok(())), (10_000_001, Err(Refusal::FileTooLarge))] {
            assert_eq!(limits.check_file(size), answer, "{size}");
        }
    }

    #[test]
    fn a_message_carries_at_most_five_files_and_25_mb() {
        let limits = Limits::default();
        for (sizes, answer) in [
            (vec![], Ok(())),
            (vec![1; 5], Ok(())),
            (vec![1; 6], Err(Refusal::TooManyFiles)),
            (vec![10_000_000, 10_000_000, 5_000_000], Ok(())),
            (vec![10_000_000, 10_000_000, 5_000_001], Err(Refusal::MessageTooLarge)),
            (vec![u64::MAX, u64::MAX], Err(Refusal::MessageTooLarge)),
        ] {
            assert_eq!(limits.check_message(&sizes), answer, "{sizes:?}");
        }
    }

    #[test]
    fn a_site_that_narrows_the_types_refuses_the_others() {
        let limits = Limits { types: vec![FileKind::Png, FileKind::Pdf], ..Limits::default() };
        assert_eq!(limits.check_kind(FileKind::Png), Ok(()));
        assert_eq!(limits.check_kind(FileKind::Zip), Err(Refusal::UnsupportedType));
    }

    #[cfg(feature = "server")]
    #[test]
    fn refusals_have_unique_codes_a_field_and_a_4xx_status() {
        let mut codes: Vec<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Refusal::ALL.len());
        for refusal in Refusal::ALL {
            assert!(matches!(refusal.field(), "file" | "attachments"));
            assert!((400..500).contains(&refusal.problem().status()), "{refusal:?}");
        }
        assert_eq!(Refusal::UnsupportedType.problem().status(), 415);
        assert_eq!(Refusal::TypeMismatch.problem().status(), 415);
        assert_eq!(Refusal::FileTooLarge.problem().status(), 413);
        assert_eq!(Refusal::LengthRequired.problem().status(), 411);
        assert_eq!(Refusal::UnknownUpload.problem().status(), 422);
    }

    #[test]
    fn only_raster_images_are_served_inline_and_names_are_percent_encoded() {
        assert_eq!(content_disposition(FileKind::Png, "shot.png"), "inline; filename*=UTF-8''shot.png");
        assert_eq!(content_disposition(FileKind::Text, "a b\"c;.txt"), "attachment; filename*=UTF-8''a%20b%22c%3B.txt");
        assert_eq!(content_disposition(FileKind::Pdf, "résumé.pdf"), "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
        assert!(content_disposition(FileKind::Zip, "x.zip").starts_with("attachment;"));
    }

    #[test]
    fn file_info_has_the_wire_shape_and_dimensions_only_when_known() {
        let info = FileInfo {
            id: "f1".into(),
            name: "report.pdf".into(),
            mime: "application/pdf".into(),
            kind: FileKind::Pdf,
            size: 1234,
            sha256: "ab".repeat(32),
            width: None,
            height: None,
        };
        let json = serde_json::to_value(&info).unwrap_or_default();
        assert_eq!(json["type"], "application/pdf");
        assert_eq!(json["kind"], "pdf");
        assert!(json.get("width").is_none());
        let image = FileInfo { width: Some(640), height: Some(480), ..info };
        assert_eq!(serde_json::to_value(&image).unwrap_or_default()["width"], 640);
    }
}
