//! A site's look on the host page (`[sites.<id>.appearance]` in
//! `buoy.toml`): the launcher's accent in the light and the dark scheme,
//! its side, offsets, label and `z-index`, the colour scheme, and whether
//! the launcher shows at all.
//!
//! The launcher is drawn by the loader before any iframe exists, so the
//! look is baked into the loader: the build writes `/s/{site}.js` with
//! [`Appearance::loader_css`] (and the generic `/buoy.js` with the
//! default look). The accents are held to WCAG's 4.5:1 text contrast
//! against the launcher's text colour in their scheme ([`LIGHT_TEXT`],
//! [`DARK_TEXT`]), checked by [`Appearance::problem`].

use core::fmt::Write as _;
use serde::{Deserialize, Serialize};

/// The launcher's text and icon colour in the light scheme.
pub const LIGHT_TEXT: Colour = Colour([0xff, 0xff, 0xff]);
/// The launcher's text and icon colour in the dark scheme (the panel's
/// own text on its dark accent).
pub const DARK_TEXT: Colour = Colour([0x11, 0x18, 0x27]);
/// The least contrast between the launcher's text and its accent (WCAG
/// 1.4.3, normal text).
pub const MIN_CONTRAST: f64 = 4.5;
/// The largest offset from the viewport's edges, in CSS pixels.
pub const MAX_OFFSET: u16 = 400;
/// The longest launcher label, in characters.
pub const MAX_LABEL: usize = 40;

/// An sRGB colour, written `#rrggbb` (or `#rgb`) in `buoy.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl Colour {
    /// Reads `#rrggbb` or `#rgb` (either case).
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
        match hex.len() {
            3 => Some(Self([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17])),
            6 => {
                let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
                Some(Self([byte(0)?, byte(2)?, byte(4)?]))
            }
            _ => None,
        }
    }

    /// Its shortest CSS form: `#rgb` where that says the same, else `#rrggbb`.
    pub fn css(self) -> String {
        let [r, g, b] = self.0;
        if [r, g, b].iter().all(|c| c % 17 == 0) {
            format!("#{:x}{:x}{:x}", r / 17, g / 17, b / 17)
        } else {
            self.to_string()
        }
    }

    /// WCAG 2's relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2's contrast ratio between two colours, 1 to 21, whichever is lighter.
    pub fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

impl core::fmt::Display for Colour {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// The launcher's background in each scheme, as written (`#rrggbb`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accent {
    /// In the light scheme, under white text.
    #[serde(default = "default_light")]
    pub light: String,
    /// In the dark scheme, under near-black text.
    #[serde(default = "default_dark")]
    pub dark: String,
}

fn default_light() -> String {
    "#1d4ed8".into()
}

fn default_dark() -> String {
    "#60a5fa".into()
}

impl Default for Accent {
    fn default() -> Self {
        Self { light: default_light(), dark: default_dark() }
    }
}

/// Which edge of the viewport the launcher and the panel keep to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The left edge, in every language.
    Left,
    /// The right edge, in every language.
    Right,
}

/// The colour scheme the launcher and the panel draw in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// The browser's (`prefers-color-scheme`), live.
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Scheme {
    /// Its name, as the loader and the panel's `scheme` message spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// The launcher's distance from the viewport's side and bottom edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offset {
    /// From the side edge, in CSS pixels.
    #[serde(default = "default_offset")]
    pub x: u16,
    /// From the bottom edge, in CSS pixels.
    #[serde(default = "default_offset")]
    pub y: u16,
}

const fn default_offset() -> u16 {
    20
}

impl Default for Offset {
    fn default() -> Self {
        Self { x: default_offset(), y: default_offset() }
    }
}

/// The `z-index` of the launcher and the panel unless a site sets one:
/// above nearly everything a host page stacks.
pub const DEFAULT_Z_INDEX: u32 = 2_147_483_000;

const fn default_z_index() -> u32 {
    DEFAULT_Z_INDEX
}

/// `[sites.<id>.appearance]`: every key is optional.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appearance {
    /// The launcher's background, `{ light, dark }`.
    #[serde(default)]
    pub accent: Accent,
    /// The edge the launcher keeps to; unset, the end of the line (the
    /// right, or the left in a right-to-left language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// The launcher's distance from the edges.
    #[serde(default)]
    pub offset: Offset,
    /// Text beside the launcher's icon (its accessible name too); unset,
    /// the icon alone, named in the panel's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The stacking order of the launcher and the panel.
    #[serde(default = "default_z_index")]
    pub z_index: u32,
    /// The scheme the launcher and the panel draw in until the host page
    /// says otherwise (`Buoy('set', { colorScheme })`).
    #[serde(default)]
    pub color_scheme: Scheme,
    /// No launcher: the host page opens the panel (its own buttons with
    /// `data-buoy-open`, the API, or inline).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub hide_launcher: bool,
}

impl Default for Appearance {
    fn default() -> Self {
        Self {
            accent: Accent::default(),
            side: None,
            offset: Offset::default(),
            label: None,
            z_index: DEFAULT_Z_INDEX,
            color_scheme: Scheme::Auto,
            hide_launcher: false,
        }
    }
}

/// The ratio as WCAG writes it, rounded down to a tenth, so a ratio just
/// under the minimum never reads as the minimum.
fn ratio_text(ratio: f64) -> String {
    format!("{:.1}", (ratio * 10.0).floor() / 10.0)
}

impl Appearance {
    /// Whether this is the default look (left out of the serialized config).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The first thing wrong, as (the key under `appearance`, what is
    /// expected), or `None`.
    pub fn problem(&self) -> Option<(String, String)> {
        for (scheme, written, text) in [("light", &self.accent.light, LIGHT_TEXT), ("dark", &self.accent.dark, DARK_TEXT)] {
            let field = format!("accent.{scheme}");
            let Some(accent) = Colour::parse(written) else {
                return Some((field, "expected a colour such as #1d4ed8".into()));
            };
            let ratio = accent.contrast(text);
            if ratio < MIN_CONTRAST {
                return Some((field, format!("{accent} on {text} is {}:1, below {MIN_CONTRAST}:1", ratio_text(ratio))));
            }
        }
        for (axis, value) in [("x", self.offset.x), ("y", self.offset.y)] {
            if value > MAX_OFFSET {
                return Some((format!("offset.{axis}"), format!("at most {MAX_OFFSET} (CSS pixels)")));
            }
        }
        if let Some(label) = &self.label {
            if label.trim().is_empty() || label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
                return Some(("label".into(), format!("1 to {MAX_LABEL} characters of text, or no label for the icon alone")));
            }
        }
        if self.z_index > i32::MAX as u32 {
            return Some(("z_index".into(), format!("at most {}", i32::MAX)));
        }
        None
    }

    /// The loader's constructed stylesheet for this look: the launcher
    /// (`.l`, its scheme a class: `auto`, `light` or `dark`; its label as
    /// generated content), its unread badge (`.b`), the floating panel
    /// (`.p`, a modal sheet on phones; `.i` inline, sized by the loader).
    /// An accent that does not parse (refused by [`Appearance::problem`]
    /// first) falls back to the default.
    pub fn loader_css(&self) -> String {
        let accent =
            |written: &str, fallback: fn() -> String| Colour::parse(written).or_else(|| Colour::parse(&fallback())).unwrap_or(LIGHT_TEXT);
        let (light, dark) = (accent(&self.accent.light, default_light).css(), accent(&self.accent.dark, default_dark).css());
        let (light_text, dark_text) = (LIGHT_TEXT.css(), DARK_TEXT.css());
        let side = match self.side {
            None => "inset-inline-end",
            Some(Side::Left) => "left",
            Some(Side::Right) => "right",
        };
        let Offset { x, y } = self.offset;
        let (z, phone) = (self.z_index, "(max-width:640px)");
        let mut css = String::new();
        // Writing to a String cannot fail. The border is transparent but
        // for forced colours, which paint it; the icon is a question mark.
        let _ = write!(
            css,
            ":host{{all:initial}}\
             .l,.p{{position:fixed;{side}:{x}px;z-index:{z}}}\
             .l{{bottom:{y}px;min-width:56px;height:56px;border:2px solid #0000;border-radius:28px;background:var(--a,{light});\
             color:var(--t,{light_text});cursor:pointer;box-shadow:0 4px 14px #0004;display:flex;align-items:center;\
             justify-content:center;padding:0;font:700 16px system-ui}}\
             .dark{{--a:{dark};--t:{dark_text}}}@media (prefers-color-scheme:dark){{.auto{{--a:{dark};--t:{dark_text}}}}}\
             .l:before{{content:\"?\";font-size:28px}}\
             .l:focus-visible{{outline:3px solid {dark_text};outline-offset:2px;box-shadow:0 0 0 2px #fff}}\
             .p{{bottom:{panel}px;width:380px;height:620px;max-height:calc(100vh - {room}px);border-radius:14px;overflow:hidden;\
             box-shadow:0 10px 40px #0005}}\
             .b{{position:absolute;top:-2px;right:-2px;height:20px;border-radius:10px;background:#dc2626;color:#fff;\
             font:12px/20px system-ui;padding:0 6px}}\
             [hidden]{{display:none}}iframe{{border:0;width:100%;height:100%;display:block}}\
             @media {phone}{{.p{{inset:0 0 auto;width:auto;height:100dvh;max-height:none;border-radius:0;box-sizing:border-box;\
             padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}}}}",
            panel = u32::from(y) + 68,
            room = u32::from(y) + 88,
        );
        // The label beside the icon, as generated content (the launcher's
        // accessible name is the label too, from the loader).
        if let Some(label) = &self.label {
            let _ = write!(css, ".l{{gap:8px;padding:0 20px}}.l:after{{content:{}}}", css_string(label));
        }
        css
    }
}

/// A CSS string: quoted, with quotes and backslashes escaped (a label has
/// no control characters: [`Appearance::problem`] refuses them).
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '<') || c.is_control() {
            let _ = write!(out, "\\{:x} ", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_ratios_are_wcags() {
        for (a, b, expected) in [
            ("#ffffff", "#000000", 21.0),
            ("#fff", "#fff", 1.0),
            ("#1d4ed8", "#ffffff", 6.70),
            ("#777777", "#ffffff", 4.48),
            ("#767676", "#ffffff", 4.54),
            ("#60a5fa", "#111827", 6.98),
        ] {
            let (a, b) = (Colour::parse(a).unwrap_or(LIGHT_TEXT), Colour::parse(b).unwrap_or(LIGHT_TEXT));
            assert!((a.contrast(b) - expected).abs() < 0.01, "{a} / {b}: {} ≠ {expected}", a.contrast(b));
            assert!((a.contrast(b) - b.contrast(a)).abs() < f64::EPSILON, "the order does not matter");
        }
    }

    #[test]
    fn colours_are_hex_in_either_case_long_or_short() {
        for (text, expected) in [
            ("#1D4ED8", Some([0x1d, 0x4e, 0xd8])),
            ("#abc", Some([0xaa, 0xbb, 0xcc])),
            ("1d4ed8", None),
            ("#1d4ed", None),
            ("#1d4ed8ff", None),
            ("#ggg", None),
            ("#+1+2+3", None),
            ("blue", None),
            ("#é12", None),
        ] {
            assert_eq!(Colour::parse(text).map(|c| c.0), expected, "{text}");
        }
    }

    #[test]
    fn an_accent_below_the_text_contrast_is_refused_naming_both_colours_and_the_ratio() {
        let look =
            |light: &str, dark: &str| Appearance { accent: Accent { light: light.into(), dark: dark.into() }, ..Appearance::default() };
        for (light, dark, expected) in [
            ("#1d4ed8", "#60a5fa", None),
            ("#767676", "#60a5fa", None),
            ("#7dd3fc", "#60a5fa", Some(("accent.light", "#7dd3fc on #ffffff is 1.6:1, below 4.5:1"))),
            ("#777777", "#60a5fa", Some(("accent.light", "#777777 on #ffffff is 4.4:1, below 4.5:1"))),
            ("#1d4ed8", "#1d4ed8", Some(("accent.dark", "#1d4ed8 on #111827 is 2.6:1, below 4.5:1"))),
            ("navy", "#60a5fa", Some(("accent.light", "expected a colour such as #1d4ed8"))),
        ] {
            let problem = look(light, dark).problem();
            assert_eq!(problem.as_ref().map(|(f, m)| (f.as_str(), m.as_str())), expected, "{light} / {dark}");
        }
    }

    #[test]
    fn offsets_labels_and_z_index_are_bounded() {
        let base = Appearance::default();
        for (look, field) in [
            (Appearance { offset: Offset { x: 401, y: 0 }, ..base.clone() }, Some("offset.x")),
            (Appearance { offset: Offset { x: 400, y: 401 }, ..base.clone() }, Some("offset.y")),
            (Appearance { offset: Offset { x: 400, y: 400 }, ..base.clone() }, None),
            (Appearance { label: Some("  ".into()), ..base.clone() }, Some("label")),
            (Appearance { label: Some("a\nb".into()), ..base.clone() }, Some("label")),
            (Appearance { label: Some("x".repeat(41)), ..base.clone() }, Some("label")),
            (Appearance { label: Some("Support".into()), ..base.clone() }, None),
            (Appearance { z_index: u32::MAX, ..base.clone() }, Some("z_index")),
            (Appearance { z_index: 10, ..base }, None),
        ] {
            assert_eq!(look.problem().map(|(f, _)| f).as_deref(), field, "{look:?}");
        }
    }

    #[test]
    fn the_stylesheet_puts_the_launcher_on_its_side_in_its_colours() {
        let default = Appearance::default().loader_css();
        for expected in [
            "background:var(--a,#1d4ed8);color:var(--t,#fff)",
            ".dark{--a:#60a5fa;--t:#111827}",
            ".auto{--a:#60a5fa;--t:#111827}",
            ".l,.p{position:fixed;inset-inline-end:20px;z-index:2147483000}",
            "bottom:20px",
            ".p{bottom:88px",
            "calc(100vh - 108px)",
            "content:\"?\";font-size:28px",
        ] {
            assert!(default.contains(expected), "the default look has {expected}: {default}");
        }
        assert!(!default.contains(":after"), "no label: the icon alone");
        let themed = Appearance {
            accent: Accent { light: "#0F766E".into(), dark: "#5eead4".into() },
            side: Some(Side::Left),
            offset: Offset { x: 24, y: 32 },
            label: Some("Say \"hi\" \\ <b>".into()),
            z_index: 1000,
            ..Appearance::default()
        }
        .loader_css();
        for expected in [
            "background:var(--a,#0f766e)",
            "--a:#5eead4;",
            ".l,.p{position:fixed;left:24px;z-index:1000}",
            "bottom:32px",
            ".p{bottom:100px",
            ".l:after{content:\"Say \\22 hi\\22  \\5c  \\3c b>\"}",
        ] {
            assert!(themed.contains(expected), "the themed look has {expected}: {themed}");
        }
        assert!(!themed.contains("inset-inline-end:24px"), "a named side does not mirror");
        let right = Appearance { side: Some(Side::Right), ..Appearance::default() }.loader_css();
        assert!(right.contains(".l,.p{position:fixed;right:20px;"));
    }

    #[test]
    fn colours_take_their_shortest_css_form() {
        for (colour, css) in [("#ffffff", "#fff"), ("#1d4ed8", "#1d4ed8"), ("#112233", "#123"), ("#111827", "#111827")] {
            assert_eq!(Colour::parse(colour).map(Colour::css).as_deref(), Some(css));
        }
    }
}
