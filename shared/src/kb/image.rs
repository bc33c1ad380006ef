//! The images an article may show: files of the knowledge base's
//! `images/` folder, beside the locale folders, named in Markdown as
//! `![alt](../images/name.png)` (the path from the article's folder, so
//! Markdown previews show it too), with their width and height read from
//! the file's header.

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

/// The images of a knowledge base, from the files of its `images/`
/// folder as (file name, content): each one whose name is an image's
/// ([`is_image_name`]) is read and published at the path `publish`
/// returns for it; the others are left out.
///
/// # Errors
/// The first image that cannot be read (see [`ImageFile::read`]) or
/// published, naming it.
pub fn collect_images<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    mut publish: impl FnMut(&str, &[u8]) -> Result<String, String>,
) -> Result<Images, String> {
    let mut images = Images::new();
    for (file, bytes) in files.into_iter().filter(|(file, _)| is_image_name(file)) {
        let name = format!("{IMAGES}{file}");
        let src = publish(file, bytes)?;
        images.insert(name.clone(), ImageFile::read(&name, bytes, src)?);
    }
    Ok(images)
}

/// Whether a file name may be an image's: letters, digits, `.`, `_` and
/// `-`, not starting with `.`, with an image type's extension.
pub fn is_image_name(name: &str) -> bool {
    !name.starts_with('.') && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) && Format::of_name(name).is_some()
}

/// The name in [`Images`] of a Markdown image's destination: `images/`
/// then a file name (see [`is_image_name`]), optionally after `../` (from
/// an article's locale folder) or `./`.
///
/// # Errors
/// What is wrong with it: a remote URL, a path outside `images/`, or a
/// file that is not a PNG, JPEG, GIF, WebP or SVG image.
pub fn image_name(destination: &str) -> Result<&str, String> {
    let path = destination.trim();
    let path = path.strip_prefix("../").or_else(|| path.strip_prefix("./")).unwrap_or(path);
    if path.contains(':') || path.starts_with("//") {
        return Err(format!(
            "`{destination}` is not in the knowledge base: an image is a file of `kb/images/`, named `../images/name.png`"
        ));
    }
    let name = path.strip_prefix(IMAGES).unwrap_or_default();
    if name.is_empty()
        || name.contains('/')
        || name.starts_with('.')
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(format!(
            "`{destination}` is outside `kb/images/`: name an image `../images/name.png` (letters, digits, `.`, `_` and `-`)"
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
        (0.5..1e9).contains(&number).then(|| number.round() as u32)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The start of a 64 × 40 PNG: its signature and `IHDR` chunk.
    pub(crate) const PNG_64_40: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x40\0\0\0\x28\x08\x02\0\0\0";

    #[test]
    fn sizes_are_read_from_each_format_header() {
        let jpeg: &[u8] = &[
            0xff, 0xd8, // start of image
            0xff, 0xe0, 0x00, 0x06, b'J', b'F', b'I', b'F', // APP0, skipped by its length
            0xff, 0xc4, 0x00, 0x03, 0x00, // a Huffman table, which is not a frame
            0xff, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x00, 0x28, 0x00, 0x40, 0x03, // padding, then a progressive frame: 40 high, 64 wide
        ];
        let riff = |chunk: &[u8], body: &[u8]| [b"RIFF\0\0\0\0WEBP", chunk, b"\0\0\0\0", body].concat();
        type Case = (&'static str, Format, Vec<u8>, Option<(u32, u32)>);
        let cases: Vec<Case> = vec![
            ("png", Format::Png, PNG_64_40.to_vec(), Some((64, 40))),
            ("png, cut short", Format::Png, PNG_64_40.get(..20).unwrap_or_default().to_vec(), None),
            ("png of width 0", Format::Png, [PNG_64_40.get(..16).unwrap_or_default(), b"\0\0\0\0\0\0\0\x28"].concat(), None),
            ("png with another first chunk", Format::Png, PNG_64_40.iter().map(|&b| if b == b'H' { b'X' } else { b }).collect(), None),
            ("gif89a", Format::Gif, b"GIF89a\x40\x00\x28\x00\xf7\0\0".to_vec(), Some((64, 40))),
            ("gif87a", Format::Gif, b"GIF87a\x00\x01\x01\x00".to_vec(), Some((256, 1))),
            ("jpeg", Format::Jpeg, jpeg.to_vec(), Some((64, 40))),
            ("jpeg without a frame", Format::Jpeg, jpeg.get(..15).unwrap_or_default().to_vec(), None),
            ("jpeg, scan before a frame", Format::Jpeg, vec![0xff, 0xd8, 0xff, 0xda, 0, 2], None),
            ("webp lossy", Format::Webp, riff(b"VP8 ", &[0, 0, 0, 0x9d, 0x01, 0x2a, 64, 0, 40, 0]), Some((64, 40))),
            ("webp lossy, bad start code", Format::Webp, riff(b"VP8 ", &[0, 0, 0, 0x9d, 0x01, 0x2b, 64, 0, 40, 0]), None),
            ("webp lossless", Format::Webp, riff(b"VP8L", &[0x2f, 0x3f, 0xc0, 0x09, 0x00]), Some((64, 40))),
            ("webp extended", Format::Webp, riff(b"VP8X", &[0, 0, 0, 0, 63, 0, 0, 39, 0, 0]), Some((64, 40))),
            ("webp, unknown chunk", Format::Webp, riff(b"VP9 ", &[0; 10]), None),
            ("png bytes as a gif", Format::Gif, PNG_64_40.to_vec(), None),
            ("empty", Format::Jpeg, Vec::new(), None),
        ];
        for (name, format, bytes, expected) in cases {
            assert_eq!(size(format, &bytes), expected, "{name}");
        }
        for (svg, expected) in [
            (r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="40"></svg>"#, Some((64, 40))),
            (r#"<svg width='64px' height="39.6"/>"#, Some((64, 40))),
            (r#"<svg viewBox="0 0 64 40"/>"#, Some((64, 40))),
            (r#"<svg width="100%" stroke-width="2" viewBox="0,0,64,40">"#, Some((64, 40))),
            (r#"<svg stroke-width="2" line-height="3">"#, None),
            (r#"<svg width="0" height="40">"#, None),
            (r#"<svg viewBox="0 0 64">"#, None),
            ("<html>", None),
        ] {
            assert_eq!(size(Format::Svg, svg.as_bytes()), expected, "{svg}");
        }
        assert_eq!(size(Format::Svg, b"\xff<svg width=\"1\" height=\"1\">"), None, "not UTF-8");
    }

    #[test]
    fn an_image_is_read_by_the_type_its_name_says() {
        let src = || "/kb/images/a.png".to_owned();
        assert_eq!(ImageFile::read("images/a.PNG", PNG_64_40, src()), Ok(ImageFile { src: src(), width: 64, height: 40 }));
        let error = ImageFile::read("images/a.jpg", PNG_64_40, src());
        assert_eq!(error, Err("`images/a.jpg` is not a JPEG image whose width and height can be read".into()));
        assert!(ImageFile::read("images/a.bmp", PNG_64_40, src()).is_err_and(|e| e.contains("not a PNG, JPEG, GIF, WebP or SVG")));
        for (name, expected) in [
            ("shot.png", true),
            ("Shot_2-b.JPEG", true),
            ("a.webp", true),
            ("a.svg", true),
            (".hidden.png", false),
            ("a b.png", false),
            ("readme.txt", false),
            ("png", false),
        ] {
            assert_eq!(is_image_name(name), expected, "{name}");
        }
    }

    #[test]
    fn a_folder_of_images_is_collected_and_published() {
        let files: [(&str, &[u8]); 3] = [("shot.png", PNG_64_40), ("notes.txt", b"not an image"), (".DS_Store", b"")];
        let mut published = Vec::new();
        let images = collect_images(files, |name, bytes| {
            published.push((name.to_owned(), bytes.len()));
            Ok(format!("/kb/images/{name}"))
        });
        let expected = ImageFile { src: "/kb/images/shot.png".into(), width: 64, height: 40 };
        assert_eq!(images, Ok(Images::from([("images/shot.png".to_owned(), expected)])));
        assert_eq!(published, [("shot.png".to_owned(), PNG_64_40.len())]);
        let broken = collect_images([("shot.gif", PNG_64_40)], |name, _| Ok(name.to_owned()));
        assert_eq!(broken, Err("`images/shot.gif` is not a GIF image whose width and height can be read".into()));
        let refused = collect_images([("shot.png", PNG_64_40)], |_, _| Err("disk full".to_owned()));
        assert_eq!(refused, Err("disk full".into()));
    }
}
