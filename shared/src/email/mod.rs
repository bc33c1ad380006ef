//! Email continuity: the rules behind replies that reach people who
//! closed the tab, answers by email that join the thread, and mail to a
//! site's intake address that becomes a ticket (feature `email`, the
//! worker's only).
//!
//! Everything here is pure. The worker hands in raw MIME and the time,
//! looks tickets up, and sends what [`outbound`] builds; these modules
//! decide:
//! - [`address`]: a ticket's reply address and the `Message-ID`s Buoy
//!   writes, both signed so they can be read back and trusted;
//! - [`token`]: the rating and unsubscribe links;
//! - [`inbound`]: what to do with a received message ([`inbound::Verdict`]);
//! - [`text`]: the answer's text out of a message (HTML, quotes,
//!   signatures, limits, attachments);
//! - [`outbound`]: each mail Buoy sends, as raw MIME;
//! - [`words`]: the requester's mail in each language the widget speaks.

pub mod address;
pub mod inbound;
pub mod outbound;
pub mod text;
pub mod token;
pub mod words;

/// Real-shaped messages (`shared/tests/mail/`) and the site they are
/// addressed to, for the tests of every email module.
#[cfg(all(test, feature = "toml"))]
pub(crate) mod fixtures {
    use super::address::{message_id, reply_address, FIRST_MESSAGE};
    use crate::config::Config;
    use crate::ids::TicketId;

    pub const SECRET: &[u8] = b"test secret";
    /// The ticket of `crate::ticket::test_ticket(_, _, 0xab)`.
    pub const TICKET: TicketId = TicketId::from_bytes([0xab; 16]);

    /// Site `demo` with email and attachments, and a second site with email only.
    pub fn config() -> Config {
        let text = "[sites.demo]\nname = \"Lumen\"\nallowed_origins = [\"https://a.example\"]\n\
                    [sites.demo.email]\nfrom = \"support@lumen.example\"\nreply_domain = \"reply.lumen.example\"\n\
                    intake = [\"support@reply.lumen.example\"]\nmax_inbound_bytes = 20000\n\
                    [sites.demo.attachments]\n\
                    [sites.other]\nname = \"Other\"\nallowed_origins = [\"https://b.example\"]\n\
                    [sites.other.email]\nfrom = \"help@other.example\"\nreply_domain = \"mail.other.example\"\n";
        Config::from_toml(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// The reply address of [`TICKET`] on site `demo`.
    pub fn reply() -> String {
        reply_address(SECRET, "support", &TICKET, "reply.lumen.example")
    }

    /// A fixture with `{REPLY}`, `{FIRST}` and `{LAST}` filled in for [`TICKET`].
    pub fn mail(name: &str) -> String {
        let text = match name {
            "gmail" => include_str!("../../tests/mail/gmail.eml"),
            "outlook" => include_str!("../../tests/mail/outlook.eml"),
            "apple" => include_str!("../../tests/mail/apple.eml"),
            "html_only" => include_str!("../../tests/mail/html_only.eml"),
            "attachment" => include_str!("../../tests/mail/attachment.eml"),
            "latin1" => include_str!("../../tests/mail/latin1.eml"),
            "bounce" => include_str!("../../tests/mail/bounce.eml"),
            "autoreply" => include_str!("../../tests/mail/autoreply.eml"),
            "intake" => include_str!("../../tests/mail/intake.eml"),
            _ => unreachable!("no fixture {name}"),
        };
        text.replace("{REPLY}", &reply())
            .replace("{FIRST}", &message_id(SECRET, &TICKET, FIRST_MESSAGE, "reply.lumen.example"))
            .replace("{LAST}", &message_id(SECRET, &TICKET, "reply-1", "reply.lumen.example"))
    }

    /// Every fixture's name.
    pub const ALL: &[&str] = &["gmail", "outlook", "apple", "html_only", "attachment", "latin1", "bounce", "autoreply", "intake"];
}
