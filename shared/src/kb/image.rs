//! The images an article may show: files of the knowledge base's
//! `images/` folder, named in Markdown as `![alt](images/name.png)`, with
//! their width and height read from the file's header.

use std::collections::BTreeMap;

/// The folder of a knowledge base that holds its images, as articles name it.
pub const IMAGES: &str = "images/";

/// The image types an article may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.png`
    Png,
    /// `.jpg` or `.jpeg`
    Jpeg,
    /// `.gif`
    Gif,
    /// `.webp`
    Webp,
    /// `.svg`, with its size in `width` and `height` or `viewBox`.
    Svg,
}

impl Format {
    /// The type a file name's extension (any case) says, if it is one of these.
    pub fn of_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        Some(match extension.to_ascii_lowercase().as_str() {
            "png" => Self::Png,
            "jpg" | "jpeg" => Self::Jpeg,
            "gif" => Self::Gif,
            "webp" => Self::Webp,
            "svg" => Self::Svg,
            _ => return None,
        })
    }

    /// Its usual name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
            Self::Svg => "SVG",
        }
    }
}

/// An image file as the build publishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFile {
    /// Where the site serves it: a content-hashed path under `/kb/`.
    pub src: String,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
}

impl ImageFile {
    /// The image `name` (such as `images/shot.png`) with content `bytes`,
    /// published at `src`.
    ///
    /// # Errors
    /// When the name's extension is not an image type of [`Format`], or
    /// the content is not an image of that type with a size.
    pub fn read(name: &str, bytes: &[u8], src: String) -> Result<Self, String> {
        let format = Format::of_name(name).ok_or_else(|| format!("`{name}` is not a PNG, JPEG, GIF, WebP or SVG file"))?;
        let (width, height) =
            size(format, bytes).ok_or_else(|| format!("`{name}` is not a {} image whose width and height can be read", format.name()))?;
        Ok(Self { src, width, height })
    }
}

/// The images of one knowledge base, by the name articles give them (`images/shot.png`).
pub type Images = BTreeMap<String, ImageFile>;

/// Whether a file name may be an image's: letters, digits, `.`, `_` and
/// `-`, not starting with `.`, with an image type's extension.
pub fn is_image_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && Format::of_name(name).is_some()
}

/// The name in [`Images`] of a Markdown image's destination: `images/`
/// then a file name (see [`is_image_name`]), optionally after `./`.
///
/// # Errors
/// What is wrong with it: a remote URL, a path outside `images/`, or a
/// file that is not a PNG, JPEG, GIF, WebP or SVG image.
pub fn image_name(destination: &str) -> Result<&str, String> {
    let path = destination.trim();
    let path = path.strip_prefix("./").unwrap_or(path);
    if path.contains(':') || path.starts_with("//") {
        return Err(format!("`{destination}` is not in the knowledge base: an image is a file of `kb/images/`, named `images/name.png`"));
    }
    let name = path.strip_prefix(IMAGES).unwrap_or_default();
    if name.is_empty() || name.contains('/') || name.starts_with('.') || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return Err(format!(
            "`{destination}` is outside `kb/images/`: name an image `images/name.png` (letters, digits, `.`, `_` and `-`)"
        ));
    }
    if Format::of_name(name).is_none() {
        return Err(format!("`{destination}` is not a PNG, JPEG, GIF, WebP or SVG image"));
    }
    Ok(path)
}

/// The width and height of an image of type `format`, from its header;
/// none when `bytes` is not such an image or a side is 0.
pub fn size(format: Format, bytes: &[u8]) -> Option<(u32, u32)> {
    let (width, height) = match format {
        Format::Png => png(bytes),
        Format::Jpeg => jpeg(bytes),
        Format::Gif => gif(bytes),
        Format::Webp => webp(bytes),
        Format::Svg => svg(std::str::from_utf8(bytes).ok()?),
    }?;
    (width > 0 && height > 0).then_some((width, height))
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?])))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?])))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?, *bytes.get(at + 2)?, 0]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The signature, then the `IHDR` chunk: width and height, 32 bits each.
fn png(bytes: &[u8]) -> Option<(u32, u32)> {
    (bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16)? == b"IHDR").then_some(())?;
    Some((be32(bytes, 16)?, be32(bytes, 20)?))
}

/// `GIF87a` or `GIF89a`, then the logical screen's width and height.
fn gif(bytes: &[u8]) -> Option<(u32, u32)> {
    (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")).then_some(())?;
    Some((le16(bytes, 6)?, le16(bytes, 8)?))
}

/// The segments after the start marker, up to the first start-of-frame
/// (`SOF0` to `SOF15`, less `DHT`, `JPG` and `DAC`), which holds the size.
fn jpeg(bytes: &[u8]) -> Option<(u32, u32)> {
    bytes.starts_with(&[0xff, 0xd8]).then_some(())?;
    let mut at = 2;
    loop {
        // Markers may be padded with any number of 0xff bytes.
        while *bytes.get(at)? == 0xff && *bytes.get(at + 1)? == 0xff {
            at += 1;
        }
        if *bytes.get(at)? != 0xff {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            0xc0..=0xcf if ![0xc4, 0xc8, 0xcc].contains(&marker) => return Some((be16(bytes, at + 7)?, be16(bytes, at + 5)?)),
            // Restart markers and TEM have no length.
            0xd0..=0xd7 | 0x01 => at += 2,
            0xd9 | 0xda => return None,
            _ => at += 2 + usize::try_from(be16(bytes, at + 2)?).ok()?,
        }
    }
}

/// `RIFF`, `WEBP`, then a lossy (`VP8 `), lossless (`VP8L`) or extended
/// (`VP8X`) chunk, each with the size in its own layout.
fn webp(bytes: &[u8]) -> Option<(u32, u32)> {
    (bytes.starts_with(b"RIFF") && bytes.get(8..12)? == b"WEBP").then_some(())?;
    match bytes.get(12..16)? {
        b"VP8 " => {
            (bytes.get(23..26)? == [0x9d, 0x01, 0x2a]).then_some(())?;
            Some((le16(bytes, 26)? & 0x3fff, le16(bytes, 28)? & 0x3fff))
        }
        b"VP8L" => {
            (*bytes.get(20)? == 0x2f).then_some(())?;
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(bytes, 24)? + 1, le24(bytes, 27)? + 1)),
        _ => None,
    }
}

/// The root `<svg>` element's `width` and `height` (plain numbers or
/// `px`), or else its `viewBox`'s.
fn svg(text: &str) -> Option<(u32, u32)> {
    let start = text.find("<svg")?;
    let tag = text.get(start..)?.split('>').next()?;
    let attribute = |name: &str| -> Option<&str> {
        let at = tag.match_indices(name).find(|(i, _)| tag.get(..*i).is_some_and(|b| b.ends_with(char::is_whitespace)))?.0;
        let rest = tag.get(at + name.len()..)?.trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        rest.get(1..)?.split(quote).next()
    };
    let pixels = |value: &str| -> Option<u32> {
        let number: f64 = value.trim().strip_suffix("px").unwrap_or(value.trim()).parse().ok()?;
        // Rounded to whole pixels; a size beyond u32 is not an image to show.
        (number.is_finite() && number >= 0.5 && number < 1e9).then(|| number.round() as u32)
    };
    if let (Some(w), Some(h)) = (attribute("width").and_then(pixels), attribute("height").and_then(pixels)) {
        return Some((w, h));
    }
    let view: Vec<&str> = attribute("viewBox")?.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    match view.as_slice() {
        [_, _, w, h] => Some((pixels(w)?, pixels(h)?)),
        _ => None,
    }
}
