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
//! - [`outbound`]: each mail Buoy sends, as raw MIME.

pub mod address;
pub mod text;
pub mod token;
