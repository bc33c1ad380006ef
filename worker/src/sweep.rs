//! The SLA sweep, run by the cron trigger: records breaches and due
//! escalations, delivers (and retries) webhooks, and sends (and retries)
//! the mail in the outbox. `now` is the
//! scheduled time of the cron event, never anything a request can set.
//!
//! Uploads never attached within 24 hours are deleted, bytes and record,
//! by [`sweep_uploads`], from the pending-upload index (never a listing of
//! the bucket).
//!
//! It is idempotent: events it records have deterministic ids and are
//! written only when `get` does not find them, and a webhook is sent only
//! for an event this run recorded, so a second run at the same instant
//! changes nothing and sends nothing.

use crate::error::AppError;
use crate::mail_out;
use crate::store::{Kv, PendingDelivery, PendingMail, TicketStore};
use buoy_shared::config::{Config, WebhookConfig};
use buoy_shared::events;
use buoy_shared::keys;
use buoy_shared::limits;
use buoy_shared::metrics::Facts;
use buoy_shared::queue;
use buoy_shared::sla::Calendar;
use buoy_shared::time::Timestamp;
use buoy_shared::webhook::{self, EVENT_ID_HEADER, SIGNATURE_HEADER};

/// Most due-index entries one run handles; the rest wait for the next.
pub const MAX_TICKETS_PER_RUN: u32 = 200;

/// Most queue entries one run looks at for a missing row (each one
/// without costs a read of its record, a list of its events and a write).
pub const BACKFILL_PER_RUN: u32 = 50;

/// Sends a webhook: a POST at the edge, a recorder in tests.
#[allow(async_fn_in_trait)] // Only used with concrete types on one thread.
pub trait Outbound {
    /// POSTs `body` to `url` with `headers`; the status, or why it failed.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String>;

    /// Sends a mail through the `send_email` binding; an error without one.
    async fn send_mail(&self, mail: &PendingMail) -> Result<(), String> {
        Err(format!("no {} binding: mail to {} not sent", mail_out::MAIL_BINDING, mail.id))
    }

    /// Whether each sent mail is kept for the development mail view.
    fn keeps_dev_copies(&self) -> bool {
        false
    }
}

/// Deletes the uploads made over `attach::PENDING_MS` (24 hours) before
/// `now` (the cron event's scheduled time) that were never attached: their
/// bytes in the bucket, then their record. An attached upload only leaves
/// the pending index. At most [`MAX_TICKETS_PER_RUN`] a run, oldest
/// first; the rest wait for the next. Gives how many were deleted.
///
/// # Errors
/// When storage fails (the next run picks up where this one stopped).
pub async fn sweep_uploads<K: Kv>(store: &TicketStore<K>, files: &dyn crate::files::Files, now: Timestamp) -> Result<usize, AppError> {
    let before = Timestamp::from_millis(now.as_millis().saturating_sub(buoy_shared::attach::PENDING_MS));
    let mut deleted = 0;
    for pending in store.pending_uploads(before, MAX_TICKETS_PER_RUN).await? {
        match store.upload(&pending.site, &pending.upload).await? {
            Some(upload) if upload.attached.is_some() => store.clear_pending(&pending).await?,
            found => {
                if let Some(upload) = found {
                    files.delete(&crate::files::key(&upload.site, &upload.id, &upload.file.id)).await?;
                    deleted += 1;
                }
                store.forget_upload(&pending).await?;
            }
        }
    }
    Ok(deleted)
}

/// A `[[webhooks]]` entry with its secrets read.
#[derive(Debug, Clone)]
pub struct Hook<'a> {
    /// Its position in `[[webhooks]]` (deliveries name their hook by it).
    pub index: usize,
    /// The entry.
    pub config: &'a WebhookConfig,
    /// Its URL.
    pub url: String,
    /// Its signing secret.
    pub secret: String,
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Due-index entries handled.
    pub checked: usize,
    /// Events recorded.
    pub recorded: usize,
    /// Deliveries that got a 2xx.
    pub delivered: usize,
    /// Deliveries put (back) in the outbox.
    pub retrying: usize,
    /// Deliveries given up after the last attempt.
    pub given_up: usize,
    /// Mails sent.
    pub mailed: usize,
    /// Mails dropped because their address turned mail off.
    pub unsubscribed: usize,
    /// Mails to a typed address dropped because it had its hour's mail
    /// (`limits::TYPED_RECIPIENT_PER_HOUR`).
    pub limited: usize,
    /// Queue entries from before rows existed that got theirs.
    pub backfilled: usize,
}

/// Everything the sweep works with.
#[derive(Debug)]
pub struct Sweep<'a, K, O> {
    /// Storage.
    pub store: &'a TicketStore<K>,
    /// The webhook sender.
    pub outbound: &'a O,
    /// The configuration.
    pub config: &'a Config,
    /// The business calendar.
    pub business: &'a dyn Calendar,
    /// The webhooks whose secrets are set.
    pub hooks: &'a [Hook<'a>],
    /// The cron event's scheduled time.
    pub now: Timestamp,
    /// What the mails of the events this run records link with; none
    /// where `BUOY_SECRET` or `BUOY_PUBLIC_URL` is not set (the mails
    /// already in the outbox are sent all the same).
    pub mail: Option<mail_out::Links<'a>>,
}

impl<K: Kv, O: Outbound> Sweep<'_, K, O> {
    /// Runs the sweep once.
    ///
    /// # Errors
    /// When storage fails (the next run picks up where this one stopped).
    pub async fn run(&self) -> Result<Report, AppError> {
        let mut report = Report::default();
        for entry in self.store.due_checks(self.now, MAX_TICKETS_PER_RUN).await? {
            report.checked += 1;
            let loaded = match self.store.get(&entry.ticket).await {
                Ok(Some(ticket)) => self.store.events(&ticket.id).await.map(|events| Some((ticket, events))),
                other => other.map(|_| None),
            };
            let (ticket, mut history) = match loaded {
                Ok(Some(found)) => found,
                // Not visible yet at this location: look again next run.
                Ok(None) => continue,
                // An unreadable record must not stop the sweep for every
                // other ticket: logged, and its check dropped.
                Err(e) => {
                    crate::log_error(&format!("sweep skips ticket {}: {}", entry.ticket, e.0));
                    self.store.clear_check(&entry.key).await?;
                    continue;
                }
            };
            let manager = ticket.requester.account_manager();
            let due = events::due_events(&ticket, &history, self.now, self.business, &self.config.playbooks, manager);
            let before = history.len();
            for event in due {
                if !self.store.record_once(&ticket.id, &event).await? {
                    continue;
                }
                report.recorded += 1;
                if let Some(kind) = event.webhook_type() {
                    let sent = self.now;
                    for hook in self.hooks.iter().filter(|h| h.config.wants(kind)) {
                        let delivery = PendingDelivery {
                            hook: hook.index,
                            event_id: webhook::event_id(&ticket, &event),
                            event_type: kind,
                            body: webhook::body(hook.config.format, kind, &ticket, &event, sent),
                            attempts: 0,
                        };
                        self.deliver(delivery, &mut report).await?;
                    }
                }
                if let Some(links) = &self.mail {
                    let mails = mail_out::mails_for(self.config, links, &ticket, &history, &event, &[], self.now);
                    mail_out::queue(self.store, mails, self.now).await?;
                } else if self.config.site(ticket.site.as_str()).is_some_and(|s| s.email.is_some()) {
                    crate::log_error(&format!(
                        "no mail for event {} of ticket {}: set the {} and {} secrets",
                        event.id,
                        ticket.id,
                        crate::SECRET_NAME,
                        mail_out::PUBLIC_URL_VAR
                    ));
                }
                history.push(event);
            }
            if history.len() > before {
                // Breaches and escalations change the ticket's metric facts.
                self.store.put_facts(&ticket, &Facts::of(&ticket, &history, self.now, self.business)).await?;
            }
            self.rebuild_row(&ticket, &history).await?;
            self.store.clear_check(&entry.key).await?;
            if let Some(next) = events::next_check(&ticket, &history, self.now, self.business, &self.config.playbooks) {
                self.store.schedule_check(&ticket.id, next.max(self.now)).await?;
            }
        }
        for (key, delivery) in self.store.outbox_due(self.now, MAX_TICKETS_PER_RUN).await? {
            self.store.outbox_delete(&key).await?;
            self.deliver(delivery, &mut report).await?;
        }
        for (key, mail) in self.store.mail_due(self.now, MAX_TICKETS_PER_RUN).await? {
            self.send(mail, &mut report).await?;
            self.store.mail_delete(&key).await?;
        }
        report.backfilled = self.backfill_rows().await?;
        Ok(report)
    }

    /// Gives queue entries written before rows existed their rows, at
    /// most [`BACKFILL_PER_RUN`] a run (see `TicketStore::backfill_rows`).
    async fn backfill_rows(&self) -> Result<usize, AppError> {
        Ok(self.store.backfill_rows(self.now, self.business, BACKFILL_PER_RUN).await?)
    }

    /// Rewrites a ticket's queue row from its whole event log, in the part
    /// of the queue its status puts it in (the entry of the other part, if
    /// a writer left one, is deleted): the API wrote the row from a list
    /// that may have missed another writer's event, and asked for this
    /// check a minute on, when every write shows. Entries written before
    /// rows existed get theirs here too.
    async fn rebuild_row(&self, ticket: &buoy_shared::ticket::Ticket, history: &[events::TicketEvent]) -> Result<(), AppError> {
        let row = queue::QueueRow::build(ticket, history, self.now, self.business);
        Ok(self.store.put_row(ticket, queue::index_due(ticket, self.business), &row, true).await?)
    }

    /// Sends one mail unless its address turned mail off, or is a typed
    /// address that had its hour's mail (dropped, logged); on failure,
    /// puts it back with backoff (the same bytes, the same Message-ID),
    /// or gives up (logged) after the last attempt. The caller removes its
    /// old entry only after this, so a mail stays queued until it is sent.
    async fn send(&self, mut mail: PendingMail, report: &mut Report) -> Result<(), AppError> {
        if self.store.is_suppressed(&mail.site, &mail.address_key).await?.is_some() {
            report.unsubscribed += 1;
            return Ok(());
        }
        let sends = if mail.typed {
            let sent = self.store.sends(&mail.site, &mail.address_key).await?;
            let Some(sends) = limits::typed_recipient_send(&sent, self.now.as_millis()) else {
                crate::log_error(&format!("mail {} not sent: its typed address had its hour's mail", mail.id));
                report.limited += 1;
                return Ok(());
            };
            Some(sends)
        } else {
            None
        };
        mail.attempts += 1;
        match self.outbound.send_mail(&mail).await {
            Ok(()) => {
                report.mailed += 1;
                if let Some(sends) = sends {
                    self.store.put_sends(&mail.site, &mail.address_key, &sends).await?;
                }
                if self.outbound.keeps_dev_copies() {
                    self.store.dev_mail_put(self.now, &mail).await?;
                }
            }
            Err(e) => {
                crate::log_error(&format!("mail {} failed (attempt {}): {e}", mail.id, mail.attempts));
                if let Some(at) = self.next_attempt(&format!("mail {}", mail.id), mail.attempts, &e, report) {
                    self.store.mail_put(at, &mail).await?;
                }
            }
        }
        Ok(())
    }

    /// When to try again after failed attempt `attempts` (with backoff),
    /// counted as retrying; none after the last, logged and counted as
    /// given up.
    fn next_attempt(&self, what: &str, attempts: u32, error: &dyn core::fmt::Debug, report: &mut Report) -> Option<Timestamp> {
        match webhook::retry_delay(attempts) {
            Some(delay) => {
                report.retrying += 1;
                Some(self.now.plus(delay))
            }
            None => {
                crate::log_error(&format!("{what} gave up after {attempts} attempts: {error:?}"));
                report.given_up += 1;
                None
            }
        }
    }

    /// Sends one delivery; on failure, schedules the next attempt with
    /// backoff, or gives up (logged) after the last. A failing receiver
    /// never stops the sweep or touches a ticket.
    async fn deliver(&self, mut delivery: PendingDelivery, report: &mut Report) -> Result<(), AppError> {
        let Some(hook) = self.hooks.iter().find(|h| h.index == delivery.hook) else {
            crate::log_error(&format!("webhook {} dropped: webhooks[{}] has no URL or secret set", delivery.event_id, delivery.hook));
            return Ok(());
        };
        let signature = keys::webhook_signature(hook.secret.as_bytes(), self.now.as_millis() / 1000, &delivery.body);
        let headers = [
            ("content-type", "application/json".to_owned()),
            (SIGNATURE_HEADER, signature),
            (EVENT_ID_HEADER, delivery.event_id.clone()),
            ("buoy-event-type", delivery.event_type.as_str().to_owned()),
        ];
        delivery.attempts += 1;
        match self.outbound.post(&hook.url, &headers, &delivery.body).await {
            Ok(200..=299) => report.delivered += 1,
            outcome => {
                if let Some(at) = self.next_attempt(&format!("webhook {}", delivery.event_id), delivery.attempts, &outcome, report) {
                    self.store.outbox_put(at, &delivery).await?;
                }
            }
        }
        Ok(())
    }
}
