//! Mail that Email Routing delivers to the worker: an answer joins its
//! ticket's thread, mail to an intake address opens a ticket, and the
//! rest is refused or dropped, as `buoy_shared::email::inbound` decides.
//!
//! Everything here works over a [`Kv`], so the host tests run it against
//! [`crate::store::MemoryKv`]; the `#[event(email)]` glue in `lib.rs`
//! reads the message, spends the sender's rate limit, calls [`receive`]
//! and turns its [`Outcome`] into `set_reject` and a log line. Nothing in
//! here returns an error: a storage failure is an outcome too, because an
//! error out of the email handler traps the whole instance.

use crate::api::{self, App, Via};
use crate::error::AppError;
use crate::mail_out;
use crate::store::{Kv, Suppression, Upload, BOUNCE, FIRST_MAIL};
use buoy_shared::email::inbound::{self, Accepted, Drop, Envelope, MailFile, Reject, Verdict};
use buoy_shared::email::token::address_key;
use buoy_shared::events::TicketEvent;
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::ticket::{validate_body, FieldError, FirstMail, NewTicket, Ticket};
use buoy_shared::time::Timestamp;

/// What became of a delivered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The requester's answer, stored on its ticket under `event_id`.
    Answered {
        /// The ticket.
        ticket: TicketId,
        /// The event it is stored as.
        event_id: String,
    },
    /// A redelivered answer: its event is already stored; nothing written.
    AlreadyAnswered {
        /// The ticket.
        ticket: TicketId,
        /// The event stored the first time.
        event_id: String,
    },
    /// A new ticket from mail to an intake address (channel `email`).
    /// Its acknowledgement is the outbound side's: it is not sent here.
    Opened {
        /// The new ticket.
        ticket: TicketId,
    },
    /// A redelivered intake mail: its ticket exists; nothing written.
    AlreadyOpened {
        /// The ticket it made the first time.
        ticket: TicketId,
    },
    /// Refused: the sender's server is told why (`set_reject`).
    Rejected(Reject),
    /// Readable and ours, but not a message a ticket can take (a field
    /// out of bounds): refused like [`Outcome::Rejected`].
    Invalid(Vec<FieldError>),
    /// Automatic mail, taken and never answered; for a bounce, the site
    /// whose mail to the failed address is now suppressed.
    Dropped {
        /// Why.
        reason: Drop,
        /// The site a bounce suppressed its recipient on.
        suppressed_on: Option<SiteId>,
    },
    /// The sender spent its rate limit (`limits::sender_key`): refused.
    RateLimited,
    /// Storage or configuration failed: logged, and refused as a
    /// temporary failure so the sender knows it did not arrive.
    Failed(String),
}

impl Outcome {
    /// A stable code for the log line.
    pub fn code(&self) -> String {
        match self {
            Self::Answered { .. } => "answered".into(),
            Self::AlreadyAnswered { .. } => "already_answered".into(),
            Self::Opened { .. } => "opened".into(),
            Self::AlreadyOpened { .. } => "already_opened".into(),
            Self::Rejected(reject) => format!("rejected:{}", reject.code()),
            Self::Invalid(errors) => {
                let fields: Vec<String> = errors.iter().map(|e| format!("{}={}", e.field.as_str(), e.code.code())).collect();
                format!("invalid:{}", fields.join(","))
            }
            Self::Dropped { reason: Drop::Bounce { .. }, suppressed_on } => {
                format!("dropped:bounce{}", if suppressed_on.is_some() { ":suppressed" } else { "" })
            }
            Self::Dropped { reason: Drop::Automatic(why), .. } => format!("dropped:automatic:{why}"),
            Self::Dropped { reason: Drop::OwnMail, .. } => "dropped:own_mail".into(),
            Self::RateLimited => "rate_limited".into(),
            Self::Failed(_) => "failed".into(),
        }
    }

    /// The reason the sender's server gets, when the message is refused.
    pub fn rejection(&self) -> Option<String> {
        match self {
            Self::Rejected(reject) => Some(reject.reason()),
            Self::Invalid(_) => Some("Not accepted: the message cannot be taken as a request (a part of it is too long or empty).".into()),
            Self::RateLimited => Some(buoy_shared::limits::SENDER_LIMIT_REASON.into()),
            Self::Failed(_) => Some("Temporary failure: the message was not stored; please send it again later.".into()),
            _ => None,
        }
    }
}

/// Reads, judges and acts on one delivered message (`raw`, read up to
/// `limits::inbound_read_cap`): stores an answer once per `Message-ID`,
/// reopening a pending or solved ticket as the panel's answer does;
/// creates an intake ticket once per `Message-ID`; records a bounce's
/// suppression; an answer or a request from an address lifts its own.
pub async fn receive<K: Kv>(app: &App<'_, K>, raw: &[u8], envelope: Envelope<'_>) -> Outcome {
    let Some(secret) = app.secret.filter(|s| !s.is_empty()) else {
        return Outcome::Failed("the BUOY_SECRET secret is not set".into());
    };
    let (verdict, record) = match inbound::read(raw, envelope, app.config, secret, app.files.is_some()) {
        Ok(message) => {
            let record = match message.ticket() {
                Some(id) => match app.store.get(&id).await {
                    Ok(record) => record,
                    Err(e) => return Outcome::Failed(e.0),
                },
                None => None,
            };
            (message.judge(record.as_ref()), record)
        }
        Err(verdict) => (verdict, None),
    };
    let acted = match (verdict, record) {
        // `judge` accepts an answer only with the record of its ticket.
        (Verdict::Accept(Accepted::Answer { event_id, text, files, .. }), Some(ticket)) => {
            answer(app, secret, ticket, event_id, text.body, files, raw).await
        }
        (Verdict::Accept(Accepted::Answer { .. }), None) => Ok(Outcome::Rejected(Reject::NoSuchRecipient)),
        (Verdict::Accept(Accepted::Intake { site, ticket, new_ticket, message_id, files }), _) => {
            open(app, secret, &site, ticket, *new_ticket, message_id, files, raw).await
        }
        (Verdict::Reject(reject), _) => Ok(Outcome::Rejected(reject)),
        (Verdict::Drop(reason), _) => dropped(app, secret, envelope, reason).await,
    };
    acted.unwrap_or_else(|e| match e {
        AppError::Validation(errors) => Outcome::Invalid(errors),
        other => Outcome::Failed(format!("{other:?}")),
    })
}

/// Keeps `raw` for agents under `name` when it is small enough
/// (`inbound::keeps_original`), and returns its size then.
async fn keep_original<K: Kv>(app: &App<'_, K>, ticket: &TicketId, name: &str, raw: &[u8]) -> Result<Option<u64>, AppError> {
    let Some(bytes) = u64::try_from(raw.len()).ok().filter(|bytes| inbound::keeps_original(*bytes)) else { return Ok(None) };
    app.store.put_original(ticket, name, raw).await?;
    Ok(Some(bytes))
}

/// Stores a mail's accepted files in the bucket (each under an upload id
/// derived from its message, so a redelivery writes the same keys) and
/// gives their attachment events on `message`, as the requester's.
async fn store_files<K: Kv>(
    app: &App<'_, K>,
    secret: &[u8],
    ticket: &Ticket,
    message: &str,
    at: Timestamp,
    files: Vec<MailFile>,
) -> Result<Vec<TicketEvent>, AppError> {
    let Some(bucket) = app.files else { return Ok(Vec::new()) };
    let mut uploads = Vec::with_capacity(files.len());
    for (index, file) in files.into_iter().enumerate() {
        let upload = inbound::mail_upload_id(secret, &ticket.id, message, index);
        let id = api::file_id(&upload);
        let size = u64::try_from(file.bytes.len()).unwrap_or(u64::MAX);
        let info = api::file_info(&id, &file.name, size, file.sniffed, String::new());
        let key = crate::files::key(&ticket.site, &upload, &id);
        let sha256 =
            bucket.store(&key, &file.bytes, crate::files::metadata(&info)).await.map_err(|e| AppError::Internal(format!("{e:?}")))?;
        let file = buoy_shared::attach::FileInfo { sha256, ..info };
        uploads.push(Upload { id: upload, site: ticket.site.clone(), file, at, agent: None, attached: Some(ticket.id) });
    }
    Ok(api::attachment_events(at, message, "requester", false, true, &uploads))
}

/// Stores the requester's answer, unless this `Message-ID` was stored
/// already, with the message as received kept for agents and its files
/// stored (both before the event that names them, so no event names a
/// missing original or file); a redelivery records any file event a
/// failure left out, once.
async fn answer<K: Kv>(
    app: &App<'_, K>,
    secret: &[u8],
    ticket: Ticket,
    event_id: String,
    body: String,
    files: Vec<MailFile>,
    raw: &[u8],
) -> Result<Outcome, AppError> {
    let id = ticket.id;
    // Read by key, which sees this location's own writes at once.
    if let Some(first) = app.store.event(&id, &event_id).await? {
        for event in store_files(app, secret, &ticket, &event_id, first.event.at, files).await? {
            app.store.record_once(&id, &event).await?;
        }
        return Ok(Outcome::AlreadyAnswered { ticket: id, event_id });
    }
    let body = if body.is_empty() && !files.is_empty() { body } else { validate_body(&body).map_err(|e| AppError::Validation(vec![e]))? };
    let site = ticket.site.clone();
    let requester = ticket.requester.reply_address().map(|(address, _)| address.to_owned());
    let original = keep_original(app, &id, &event_id, raw).await?;
    let files = store_files(app, secret, &ticket, &event_id, app.now, files).await?;
    // As the panel's answer is recorded: it reopens a pending or solved ticket.
    api::record_hashed(app, ticket, event_id.clone(), api::requester_answer(body, original), None, &files, false).await?;
    if let Some(address) = requester {
        wrote_again(app, secret, &site, &address).await?;
    }
    Ok(Outcome::Answered { ticket: id, event_id })
}

/// Creates the intake ticket, unless this `Message-ID` made it already,
/// keeps the message as received for agents, stores its files on the
/// first message, and queues the acknowledgement (reference and when to
/// expect a first reply).
#[allow(clippy::too_many_arguments)] // each is one part of the mail
async fn open<K: Kv>(
    app: &App<'_, K>,
    secret: &[u8],
    site: &SiteId,
    id: TicketId,
    new_ticket: NewTicket,
    message_id: String,
    files: Vec<MailFile>,
    raw: &[u8],
) -> Result<Outcome, AppError> {
    if let Some(existing) = app.store.get(&id).await? {
        // A failure may have left a file's event out: recorded once now.
        for event in store_files(app, secret, &existing, api::FIRST_MESSAGE, existing.created_at, files).await? {
            app.store.record_once(&existing.id, &event).await?;
        }
        return Ok(Outcome::AlreadyOpened { ticket: existing.id });
    }
    new_ticket.validate().map_err(AppError::Validation)?;
    let original = keep_original(app, &id, FIRST_MAIL, raw).await?;
    let first_mail = FirstMail { message_id: message_id.trim().trim_start_matches('<').trim_end_matches('>').to_owned(), original };
    // A From header proves nothing: no identity, so the segment is `free`.
    let ticket: Ticket = api::create(app, secret, new_ticket, id, None, Via::Email(first_mail), &[]).await?;
    for event in store_files(app, secret, &ticket, api::FIRST_MESSAGE, ticket.created_at, files).await? {
        app.store.record_once(&ticket.id, &event).await?;
    }
    if let Some((address, _)) = ticket.requester.reply_address() {
        wrote_again(app, secret, site, address).await?;
    }
    if app.origin.is_empty() {
        crate::log_error(&format!("no acknowledgement for ticket {}: set the {} secret", ticket.id, mail_out::PUBLIC_URL_VAR));
    } else {
        let links = mail_out::Links { secret, origin: app.origin };
        let zone = app.zone.cloned().unwrap_or(jiff::tz::TimeZone::UTC);
        let ack = mail_out::acknowledgement(app.config, &links, &ticket, app.business, &zone, app.now);
        mail_out::queue(&app.store, ack.into_iter().collect(), app.now).await?;
    }
    Ok(Outcome::Opened { ticket: ticket.id })
}

/// An address that writes to us again gets mail again.
async fn wrote_again<K: Kv>(app: &App<'_, K>, secret: &[u8], site: &SiteId, address: &str) -> Result<(), AppError> {
    Ok(app.store.unsuppress(site, &address_key(secret, site, address)).await?)
}

/// Automatic mail: nothing is stored, but a bounce that names the failed
/// address suppresses mail to it on the site it came back to.
async fn dropped<K: Kv>(app: &App<'_, K>, secret: &[u8], envelope: Envelope<'_>, reason: Drop) -> Result<Outcome, AppError> {
    let mut suppressed_on = None;
    if let Drop::Bounce { recipient: Some(address) } = &reason {
        if let Some(site) = inbound::site_of(app.config, envelope.to) {
            let suppression = Suppression { at: app.now.as_millis(), why: BOUNCE.into() };
            app.store.suppress(&site, &address_key(secret, &site, address), &suppression).await?;
            suppressed_on = Some(site);
        }
    }
    Ok(Outcome::Dropped { reason, suppressed_on })
}

/// Reads a message's bytes from its stream, stopping once `cap` bytes
/// are in: a larger message is never read through, and what was read
/// (cut to `cap`) still tells `inbound::read` it is too large.
///
/// # Errors
/// When the stream fails.
pub async fn read_up_to<S, E>(stream: S, cap: usize) -> Result<Vec<u8>, E>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>>,
{
    use futures_util::StreamExt;
    let mut stream = core::pin::pin!(stream);
    let mut raw = Vec::new();
    while raw.len() < cap {
        match stream.next().await {
            Some(chunk) => raw.extend_from_slice(&chunk?),
            None => break,
        }
    }
    raw.truncate(cap);
    Ok(raw)
}
