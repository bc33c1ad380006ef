//! Identifiers: ticket ids, the short reference shown to people, site ids.

use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A ticket's identity: 128 random (or keyed-hash) bits, unguessable.
///
/// Written as 32 lowercase hexadecimal digits. It is never derived from a
/// counter, so knowing one id says nothing about any other.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId([u8; 16]);

/// The short form of a ticket id that a person can read over the phone:
/// eight Crockford base-32 characters in two groups, such as `7K2M-9QXD`.
///
/// It names a ticket for people; lookups always use the full [`TicketId`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TicketRef([u8; 9]);

/// A site (one product embedding the widget): lowercase letters, digits and
/// dashes, 1–40 characters, starting with a letter or digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SiteId(String);

/// Why an identifier could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdError {
    /// A ticket id that is not 32 lowercase hexadecimal digits.
    BadTicketId,
    /// A site id that is not a lowercase slug of 1–40 characters.
    BadSiteId,
    /// A reference that is not two groups of four Crockford characters.
    BadTicketRef,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadTicketId => "expected 32 lowercase hexadecimal digits",
            Self::BadSiteId => "expected 1-40 lowercase letters, digits or dashes, not starting with a dash",
            Self::BadTicketRef => "expected a reference such as 7K2M-9QXD",
        })
    }
}

impl std::error::Error for IdError {}

const HEX: &[u8; 16] = b"0123456789abcdef";
// Crockford's alphabet leaves out I, L, O and U, which read like 1, 1, 0 and V.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl TicketId {
    /// The id made of these 16 bytes (from a CSPRNG or a keyed hash).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes of the id.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Reads the 32-hex-digit form.
    ///
    /// # Errors
    /// [`IdError::BadTicketId`] for any other text, including uppercase.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let b = text.as_bytes();
        if b.len() != 32 {
            return Err(IdError::BadTicketId);
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(IdError::BadTicketId),
        };
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = nibble(b[2 * i])? << 4 | nibble(b[2 * i + 1])?;
        }
        Ok(Self(bytes))
    }

    /// The short reference people see for this ticket.
    pub fn reference(&self) -> TicketRef {
        // The first 40 bits, five bits a character.
        let bits = self.0[..5].iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let mut out = [b'-'; 9];
        for (i, slot) in [0, 1, 2, 3, 5, 6, 7, 8].into_iter().enumerate() {
            let shift = 35 - 5 * i;
            out[slot] = CROCKFORD[((bits >> shift) & 31) as usize];
        }
        TicketRef(out)
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 32];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        f.write_str(core::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({self})")
    }
}

impl Serialize for TicketId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TicketId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl TicketRef {
    /// Reads the `XXXX-XXXX` form, accepting lowercase and the characters
    /// people confuse (`I`/`L` as `1`, `O` as `0`), as Crockford intends.
    ///
    /// # Errors
    /// [`IdError::BadTicketRef`] for anything else.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let b = text.as_bytes();
        if b.len() != 9 || b[4] != b'-' {
            return Err(IdError::BadTicketRef);
        }
        let mut out = [b'-'; 9];
        for (slot, &c) in out.iter_mut().zip(b).filter(|(_, &c)| c != b'-') {
            *slot = match c.to_ascii_uppercase() {
                b'I' | b'L' => b'1',
                b'O' => b'0',
                c if CROCKFORD.contains(&c) => c,
                _ => return Err(IdError::BadTicketRef),
            };
        }
        if out.iter().filter(|&&c| c == b'-').count() != 1 {
            return Err(IdError::BadTicketRef);
        }
        Ok(Self(out))
    }

    /// The first ten hexadecimal digits of every ticket id with this
    /// reference (a reference is the id's first 40 bits), so a ticket is
    /// found by its reference with a prefix of its id.
    pub fn id_prefix(&self) -> String {
        let bits = self.0.iter().filter(|&&c| c != b'-').fold(0u64, |acc, &c| {
            let value = CROCKFORD.iter().position(|&d| d == c).unwrap_or(0) as u64;
            acc << 5 | value
        });
        (0..10).rev().map(|i| char::from(HEX[((bits >> (4 * i)) & 15) as usize])).collect()
    }

    /// The reference as text, such as `7K2M-9QXD`.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII bytes of CROCKFORD and '-'.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TicketRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TicketRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl SiteId {
    /// Reads a site id.
    ///
    /// # Errors
    /// [`IdError::BadSiteId`] unless the text is 1–40 characters of
    /// `a-z`, `0-9` and `-`, not starting with `-`.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = (1..=40).contains(&text.len())
            && !text.starts_with('-')
            && text.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(IdError::BadSiteId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SiteId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SiteId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_the_first_ten_hex_digits_of_its_ids() {
        for bytes in [[0u8; 16], [0xff; 16], [0xde, 0xad, 0xbe, 0xef, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff]] {
            let id = TicketId::from_bytes(bytes);
            let reference = id.reference();
            assert!(id.to_string().starts_with(&reference.id_prefix()), "{id} {reference}");
            assert_eq!(reference.id_prefix().len(), 10);
            let typed = TicketRef::parse(&reference.as_str().to_ascii_lowercase()).unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(typed.id_prefix(), reference.id_prefix());
        }
    }

    #[test]
    fn ticket_ids_round_trip_and_reject_other_text() {
        let id = TicketId::from_bytes([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff]);
        let text = "deadbeef000102030405060708090aff";
        assert_eq!(id.to_string(), text);
        assert_eq!(TicketId::parse(text), Ok(id));
        for bad in [
            "",
            "DEADBEEF000102030405060708090AFF",
            "deadbeef000102030405060708090af",
            "deadbeef000102030405060708090afg",
            "../../etc/passwd",
        ] {
            assert_eq!(TicketId::parse(bad), Err(IdError::BadTicketId), "{bad}");
        }
    }

    #[test]
    fn references_are_short_unambiguous_and_stable() {
        let check = |bytes: [u8; 5], expected: &str| {
            let mut full = [0u8; 16];
            full[..5].copy_from_slice(&bytes);
            let reference = TicketId::from_bytes(full).reference();
            assert_eq!(reference.as_str(), expected);
            assert!(!reference.as_str().contains(['I', 'L', 'O', 'U']));
        };
        check([0, 0, 0, 0, 0], "0000-0000");
        check([0xff; 5], "ZZZZ-ZZZZ");
        // 0x08 0x86 0x42 0x98 0xe8 = 00001 00010 00011 00100 00101 00110 00111 01000
        check([0x08, 0x86, 0x42, 0x98, 0xe8], "1234-5678");
    }

    #[test]
    fn references_read_back_as_people_type_them() {
        let r = |t: &str| TicketRef::parse(t).map(|r| r.to_string());
        assert_eq!(r("7K2M-9QXD"), Ok("7K2M-9QXD".into()));
        assert_eq!(r("7k2m-9qxd"), Ok("7K2M-9QXD".into()));
        assert_eq!(r("1OIL-0000"), Ok("1011-0000".into()));
        for bad in ["7K2M9QXD", "7K2M-9QX", "7K2M-9QXU", "7K2M--QXD", "-K2M-9QXD"] {
            assert_eq!(TicketRef::parse(bad), Err(IdError::BadTicketRef), "{bad}");
        }
    }

    #[test]
    fn site_ids_are_slugs() {
        for ok in ["demo", "acme-2", "a", "0day"] {
            assert!(SiteId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-demo", "Demo", "de mo", "demo.js", "démo", &"a".repeat(41)] {
            assert_eq!(SiteId::parse(bad), Err(IdError::BadSiteId), "{bad}");
        }
    }
}
