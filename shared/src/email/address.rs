//! Addresses Buoy writes and reads back: a ticket's reply address
//! (`{local}+{ticket id}.{mac}@{reply domain}`), the `Message-ID` of each
//! mail it sends, and the rule that says two addresses name one mailbox.

use crate::ids::TicketId;
use crate::keys::{hex, keyed_hash, secrets_equal};
use core::fmt;

/// Hex digits of the mac in a reply address and a `Message-ID`: 64 bits.
/// Guessing one takes about 2^63 mails, each refused and rate-limited,
/// and it leaves room for a local part of up to
/// [`MAX_FROM_LOCAL`](crate::config::MAX_FROM_LOCAL) characters within the
/// 64 that RFC 5321 allows before the `@`.
pub const MAC_HEX: usize = 16;

// The configuration checks `from`'s local part against this sum.
const _: () = assert!(crate::config::MAX_FROM_LOCAL + 1 + 32 + 1 + MAC_HEX == 64);

/// Why an address is not one of a ticket's reply addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressError {
    /// Another domain or another local part: not addressed to this site's replies.
    NotOurs,
    /// Ours, but the part after `+` is not `{ticket id}.{mac}`.
    Malformed,
    /// Well formed, but the mac does not check.
    BadMac,
}

impl AddressError {
    /// A stable code for logs.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotOurs => "not_ours",
            Self::Malformed => "malformed",
            Self::BadMac => "bad_mac",
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotOurs => "not a reply address of this site",
            Self::Malformed => "not a reply address: expected local+ticket.mac",
            Self::BadMac => "this reply address was not issued by us",
        })
    }
}

impl std::error::Error for AddressError {}

/// Splits an address at its last `@` into local part and domain; none
/// when either is empty.
pub fn split(address: &str) -> Option<(&str, &str)> {
    let (local, domain) = address.rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty()).then_some((local, domain))
}

/// Whether two addresses name one mailbox: the domain compared without
/// regard to ASCII case (DNS ignores it), the local part exactly (RFC
/// 5321 leaves its case to the receiving server, so `Ada` and `ada` may
/// be two people).
pub fn same_mailbox(a: &str, b: &str) -> bool {
    match (split(a.trim()), split(b.trim())) {
        (Some((local_a, domain_a)), Some((local_b, domain_b))) => local_a == local_b && domain_a.eq_ignore_ascii_case(domain_b),
        _ => false,
    }
}

fn reply_mac(secret: &[u8], ticket: &TicketId) -> String {
    let mut mac = hex(&keyed_hash(secret, "buoy/reply-address/v1", &[ticket.as_bytes()]));
    mac.truncate(MAC_HEX);
    mac
}

/// The address a ticket's mail asks to be answered at.
pub fn reply_address(secret: &[u8], local: &str, ticket: &TicketId, domain: &str) -> String {
    format!("{local}+{ticket}.{}@{domain}", reply_mac(secret, ticket))
}

/// The ticket whose reply address `address` is, for a site that writes
/// reply addresses as `{local}+…@{domain}`.
///
/// # Errors
/// [`AddressError::NotOurs`] for another domain or local part,
/// [`AddressError::Malformed`] when the tag is not `{ticket id}.{mac}`,
/// [`AddressError::BadMac`] when the mac does not check (compared in
/// constant time).
pub fn parse_reply_address(secret: &[u8], local: &str, domain: &str, address: &str) -> Result<TicketId, AddressError> {
    let (their_local, their_domain) = split(address.trim()).ok_or(AddressError::NotOurs)?;
    if !their_domain.eq_ignore_ascii_case(domain) {
        return Err(AddressError::NotOurs);
    }
    let tag = match their_local.split_once('+') {
        Some((base, tag)) if base == local => tag,
        _ => return Err(AddressError::NotOurs),
    };
    let (id, mac) = tag.split_once('.').ok_or(AddressError::Malformed)?;
    let ticket = TicketId::parse(id).map_err(|_| AddressError::Malformed)?;
    if secrets_equal(reply_mac(secret, &ticket).as_bytes(), mac.as_bytes()) {
        Ok(ticket)
    } else {
        Err(AddressError::BadMac)
    }
}

/// The `Message-ID` (without its angle brackets) of the mail Buoy sends
/// for event `event` of a ticket: the same for every retry of that
/// event, so a rare duplicate threads as one, and different for every
/// other event. It is `{ticket id}.{event tag}.{mac}@{reply domain}`:
/// the tag keeps any event id within the characters a `Message-ID`
/// allows, and the mac lets [`ticket_of_message_id`] trust it.
pub fn message_id(secret: &[u8], ticket: &TicketId, event: &str, domain: &str) -> String {
    let mut tag = hex(&keyed_hash(secret, "buoy/message-id-event/v1", &[ticket.as_bytes(), event.as_bytes()]));
    tag.truncate(MAC_HEX);
    let mac = message_id_mac(secret, ticket, &tag);
    format!("{ticket}.{tag}.{mac}@{domain}")
}

/// The event name of a ticket's first message, whose `Message-ID` every
/// later mail of the ticket refers to.
pub const FIRST_MESSAGE: &str = "ticket";

fn message_id_mac(secret: &[u8], ticket: &TicketId, tag: &str) -> String {
    let mut mac = hex(&keyed_hash(secret, "buoy/message-id/v1", &[ticket.as_bytes(), tag.as_bytes()]));
    mac.truncate(MAC_HEX);
    mac
}

/// The ticket a `Message-ID` Buoy wrote belongs to, when `id` (with or
/// without angle brackets) is one of ours at `domain`.
pub fn ticket_of_message_id(secret: &[u8], domain: &str, id: &str) -> Option<TicketId> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, their_domain) = split(id)?;
    if !their_domain.eq_ignore_ascii_case(domain) {
        return None;
    }
    let mut parts = local.split('.');
    let (ticket, tag, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || tag.len() != MAC_HEX {
        return None;
    }
    let ticket = TicketId::parse(ticket).ok()?;
    secrets_equal(message_id_mac(secret, &ticket, tag).as_bytes(), mac.as_bytes()).then_some(ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret";
    const TICKET: TicketId = TicketId::from_bytes([0xab; 16]);

    #[test]
    fn a_reply_address_reads_back_as_its_ticket() {
        let address = reply_address(SECRET, "support", &TICKET, "reply.lumen.example");
        assert_eq!(address.split('@').next().map(str::len), Some("support".len() + 1 + 32 + 1 + MAC_HEX));
        assert_eq!(parse_reply_address(SECRET, "support", "reply.lumen.example", &address), Ok(TICKET));
        // The domain's case is the DNS's to ignore.
        let (local, domain) = split(&address).unwrap_or_default();
        let shouted = format!("{local}@{}", domain.to_ascii_uppercase());
        assert_eq!(parse_reply_address(SECRET, "support", "reply.lumen.example", &shouted), Ok(TICKET));
    }

    #[test]
    fn reply_addresses_are_refused_with_their_reason() {
        let good = reply_address(SECRET, "support", &TICKET, "reply.lumen.example");
        let (local, _) = split(&good).unwrap_or_default();
        let tag = local.trim_start_matches("support+");
        let other_ticket = reply_address(SECRET, "support", &TicketId::from_bytes([8; 16]), "reply.lumen.example");
        let other_mac = other_ticket.split('.').nth(1).unwrap_or_default().to_owned();
        let cases: &[(&str, String, AddressError)] = &[
            ("another domain", format!("{local}@lumen.example"), AddressError::NotOurs),
            ("a subdomain of ours", format!("{local}@x.reply.lumen.example"), AddressError::NotOurs),
            ("another local part", format!("help+{tag}@reply.lumen.example"), AddressError::NotOurs),
            ("the local part's case changed", format!("Support+{tag}@reply.lumen.example"), AddressError::NotOurs),
            ("no plus tag", "support@reply.lumen.example".into(), AddressError::NotOurs),
            ("no at sign", "support".into(), AddressError::NotOurs),
            ("no mac", format!("support+{TICKET}@reply.lumen.example"), AddressError::Malformed),
            ("an uppercase ticket id", format!("support+{}@reply.lumen.example", tag.to_ascii_uppercase()), AddressError::Malformed),
            ("a short ticket id", format!("support+{}@reply.lumen.example", &tag[1..]), AddressError::Malformed),
            ("another ticket's mac", format!("support+{TICKET}.{other_mac}@reply.lumen.example"), AddressError::BadMac),
            ("a truncated mac", format!("{}@reply.lumen.example", &local[..local.len() - 1]), AddressError::BadMac),
            ("an empty mac", format!("support+{TICKET}.@reply.lumen.example"), AddressError::BadMac),
        ];
        for (what, address, expected) in cases {
            assert_eq!(parse_reply_address(SECRET, "support", "reply.lumen.example", address), Err(*expected), "{what}: {address}");
        }
        assert_eq!(parse_reply_address(b"other secret", "support", "reply.lumen.example", &good), Err(AddressError::BadMac));
    }

    #[test]
    fn mailboxes_match_with_the_domain_in_any_case_and_the_local_part_exact() {
        let cases = [
            ("ada@example.com", "ada@example.com", true),
            ("ada@example.com", "ada@EXAMPLE.com", true),
            (" ada@example.com ", "ada@example.com", true),
            ("ada@example.com", "Ada@example.com", false),
            ("ada@example.com", "ada@example.org", false),
            ("ada@example.com", "ada+x@example.com", false),
            ("ada@example.com", "", false),
            ("@example.com", "@example.com", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_mailbox(a, b), same, "{a} vs {b}");
        }
    }

    #[test]
    fn message_ids_are_stable_per_event_and_ours_only_when_signed() {
        let first = message_id(SECRET, &TICKET, FIRST_MESSAGE, "reply.lumen.example");
        assert_eq!(first, message_id(SECRET, &TICKET, FIRST_MESSAGE, "reply.lumen.example"), "a retry gets the same id");
        let reply = message_id(SECRET, &TICKET, "msg-k-1/odd id", "reply.lumen.example");
        assert_ne!(first, reply);
        assert!(reply.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'@'), "{reply}");
        assert_eq!(ticket_of_message_id(SECRET, "reply.lumen.example", &format!("<{reply}>")), Some(TICKET));
        assert_eq!(ticket_of_message_id(SECRET, "REPLY.lumen.example", &reply), Some(TICKET));
        assert_eq!(ticket_of_message_id(SECRET, "lumen.example", &reply), None, "another domain");
        assert_eq!(ticket_of_message_id(b"other", "reply.lumen.example", &reply), None, "another secret");
        let forged = reply.replacen(&TICKET.to_string(), &TicketId::from_bytes([8; 16]).to_string(), 1);
        assert_eq!(ticket_of_message_id(SECRET, "reply.lumen.example", &forged), None, "another ticket");
        for junk in ["", "<>", "@reply.lumen.example", "CAF=abc@mail.gmail.com", "a.b.c.d@reply.lumen.example"] {
            assert_eq!(ticket_of_message_id(SECRET, "reply.lumen.example", junk), None, "{junk}");
        }
    }
}
