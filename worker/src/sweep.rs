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
use crate::store::{Counted, Kv, PendingDelivery, PendingMail, TicketStore, Watermark};
use buoy_shared::budget::{Budget, Limits, Plan};
use buoy_shared::config::{Config, WebhookConfig};
use buoy_shared::events;
use buoy_shared::keys;
use buoy_shared::limits;
use buoy_shared::metrics::{DayRollup, Facts, DAY_MS, HOUR_MS, ROLL_DELAY_MS};
use buoy_shared::queue;
use buoy_shared::sla::NamedCalendars;
use buoy_shared::time::Timestamp;
use buoy_shared::webhook::{self, EVENT_ID_HEADER, SIGNATURE_HEADER};

/// Most due-index entries one run handles; the rest wait for the next.
pub const MAX_TICKETS_PER_RUN: u32 = 200;

/// The KV operations kept free before a due ticket is handled: its most
/// (a get, a page of events, a get and a put per event recorded, its
/// facts and their mark, its mails, its check cleared and set again, a
/// webhook put back per hook) in a busy case, with room to spare.
pub const TICKET_KV_RESERVE: u32 = 40;
/// The KV operations kept free before a webhook is sent again from the
/// outbox: its delete and, should it fail, its put back.
const DELIVERY_KV: u32 = 2;
/// The KV operations kept free before a mail is sent: the suppression
/// check, the typed address's sends (get and put), the development copy,
/// its delete, and its put back should it fail.
const MAIL_KV: u32 = 6;
/// The KV operations kept free before a site's UTC day is rolled up: a
/// page of facts and one of guided fixes per 1,000 (days of up to 8,000
/// tickets), the put, and the marks' deletes and the watermark.
pub const ROLL_KV_RESERVE: u32 = 24;
/// How many site days the sweep rolls up at once (their lists and puts
/// in flight together).
const ROLL_DAYS_AT_ONCE: usize = 8;
/// Most queue entries one run looks at for a missing row (each one
/// without costs a read of its record, a list of its events and a write).
pub const BACKFILL_PER_RUN: u32 = 50;
/// The KV operations kept free per queue entry the backfill looks at:
/// its record's get, its events' list, its row's put and the old entry's
/// delete.
const BACKFILL_KV: u32 = 4;

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
    Ok(sweep_uploads_within(store, files, now, Plan::Free.limits(), 0).await?.deleted)
}

/// The KV and R2 operations one pending upload may take: the record's
/// get, the bytes' delete, the record's and the pending entry's deletes.
const UPLOAD_OPS: u32 = 4;

/// What one upload sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UploadReport {
    /// Uploads never attached, deleted.
    pub deleted: usize,
    /// Pending entries handled (attached uploads leave the index too).
    pub handled: usize,
    /// Whether it stopped at the invocation's budget with more waiting.
    pub stopped: bool,
    /// KV and R2 operations made.
    pub operations: u32,
}

impl UploadReport {
    /// What the run left for the next one, in words, if anything.
    pub fn left(&self) -> Option<String> {
        self.stopped.then(|| {
            format!(
                "the upload sweep stopped at its budget ({} KV and R2 operations) after {} pending uploads: the rest wait for the next run",
                self.operations, self.handled
            )
        })
    }
}

/// [`sweep_uploads`] within what an invocation has left of `limits` after
/// `spent` operations (the SLA sweep's, in the same cron invocation): it
/// handles only as many pending uploads as fit in the KV (and R2)
/// operations left, leaves the rest for the next minute, and says so.
///
/// # Errors
/// When storage fails (the next run picks up where this one stopped).
pub async fn sweep_uploads_within<K: Kv>(
    store: &TicketStore<K>,
    files: &dyn crate::files::Files,
    now: Timestamp,
    limits: Limits,
    spent: u32,
) -> Result<UploadReport, AppError> {
    let counted = TicketStore::new(Counted::new(store.kv()));
    let mut report = UploadReport::default();
    // One more than fits is listed, to tell whether any was left.
    let room = Budget::new(limits).steps_left(spent + 1, UPLOAD_OPS, 0).min(MAX_TICKETS_PER_RUN);
    let outcome = sweep_pending_uploads(&counted, files, now, room, &mut report).await;
    report.operations += counted.kv().spent();
    if let Some(left) = report.left() {
        crate::log_error(&left);
    }
    outcome.map(|()| report)
}

async fn sweep_pending_uploads<K: Kv>(
    store: &TicketStore<Counted<K>>,
    files: &dyn crate::files::Files,
    now: Timestamp,
    room: u32,
    report: &mut UploadReport,
) -> Result<(), AppError> {
    if room == 0 {
        report.stopped = true;
        return Ok(());
    }
    let before = Timestamp::from_millis(now.as_millis().saturating_sub(buoy_shared::attach::PENDING_MS));
    let mut pending = store.pending_uploads(before, (room + 1).min(1000)).await?;
    report.stopped = pending.len() > room as usize;
    pending.truncate(room as usize);
    for pending in pending {
        match store.upload(&pending.site, &pending.upload).await? {
            Some(upload) if upload.attached.is_some() => store.clear_pending(&pending).await?,
            found => {
                if let Some(upload) = found {
                    files.delete(&crate::files::key(&upload.site, &upload.id, &upload.file.id)).await?;
                    report.operations += 1;
                    report.deleted += 1;
                }
                store.forget_upload(&pending).await?;
            }
        }
        report.handled += 1;
    }
    Ok(())
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
    /// Site days whose hourly metric roll-ups were written.
    pub rolled: usize,
    /// Due-index entries listed but left for the next run (the budget).
    pub left_checks: usize,
    /// Webhook deliveries put in the outbox for the next run, unsent,
    /// because the run's subrequests or KV operations ran short.
    pub deferred: usize,
    /// Site days to roll up left for the next run.
    pub left_days: usize,
    /// Whether a batch (outbox, mail) stopped at the budget, so more may wait.
    pub stopped: bool,
    /// Subrequests made (webhooks and mails).
    pub subrequests: u32,
    /// KV operations made.
    pub kv_operations: u32,
}

impl Report {
    /// What the run left for the next one, in words, if anything.
    pub fn left(&self) -> Option<String> {
        (self.left_checks + self.deferred + self.left_days > 0 || self.stopped).then(|| {
            format!(
                "the sweep stopped at its budget ({} subrequests, {} KV operations): {} due checks, {} webhooks deferred, {} days to roll up{} left for the next run",
                self.subrequests,
                self.kv_operations,
                self.left_checks,
                self.deferred,
                self.left_days,
                if self.stopped { ", and the rest of the outbox or mail" } else { "" }
            )
        })
    }
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
    /// The business calendars, by name (each ticket's stamp names its own).
    pub business: &'a dyn NamedCalendars,
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
    /// Runs the sweep once within the Free plan's limits.
    ///
    /// # Errors
    /// When storage fails (the next run picks up where this one stopped).
    pub async fn run(&self) -> Result<Report, AppError> {
        self.run_within(Plan::Free.limits()).await
    }

    /// Runs the sweep once within `limits`: each batch stops before a
    /// step that could pass them, leaves the rest for the next run, and
    /// the report (and the log) say what was left.
    ///
    /// # Errors
    /// When storage fails (the next run picks up where this one stopped).
    pub async fn run_within(&self, limits: Limits) -> Result<Report, AppError> {
        let counted = TicketStore::new(Counted::new(self.store.kv()));
        let sweep = Sweep {
            store: &counted,
            outbound: self.outbound,
            config: self.config,
            business: self.business,
            hooks: self.hooks,
            now: self.now,
            mail: self.mail,
        };
        let mut budget = Budget::new(limits);
        let mut report = Report::default();
        let outcome = sweep.run_counted(&mut budget, &mut report).await;
        report.subrequests = budget.subrequests();
        report.kv_operations = counted.kv().spent();
        if let Some(left) = report.left() {
            crate::log_error(&left);
        }
        outcome.map(|()| report)
    }
}

impl<K: Kv, O: Outbound> Sweep<'_, Counted<K>, O> {
    fn kv_spent(&self) -> u32 {
        self.store.kv().spent()
    }

    async fn run_counted(&self, budget: &mut Budget, report: &mut Report) -> Result<(), AppError> {
        let due = self.store.due_checks(self.now, MAX_TICKETS_PER_RUN).await?;
        let listed = due.len();
        for (n, entry) in due.into_iter().enumerate() {
            if !budget.allows(self.kv_spent(), 0, TICKET_KV_RESERVE) {
                report.left_checks = listed - n;
                break;
            }
            report.checked += 1;
            let loaded = match self.store.get(&entry.ticket).await {
                Ok(Some(ticket)) => self.store.events(&ticket.id).await.map(|events| Some((ticket, events))),
                other => other.map(|_| None),
            };
            let (ticket, mut history) = match loaded {
                Ok(Some(found)) => found,
                // Gone: a privacy erase took the ticket away, and its
                // check with it once KV has surely shown the record.
                Ok(None) if buoy_shared::privacy::settled(entry.at.as_millis(), self.now.as_millis()) => {
                    self.store.clear_check(&entry.key).await?;
                    continue;
                }
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
            let playbooks = self.config.ticket_playbooks(ticket.site.as_str(), &ticket.kind);
            let due = events::due_events(&ticket, &history, self.now, self.business, &playbooks, manager);
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
                        self.deliver(delivery, budget, report).await?;
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
                self.store.put_facts(&ticket, &Facts::of(&ticket, &history, self.now, self.business), self.now).await?;
            }
            self.rebuild_row(&ticket, &history).await?;
            self.store.clear_check(&entry.key).await?;
            let playbooks = self.config.ticket_playbooks(ticket.site.as_str(), &ticket.kind);
            if let Some(next) = events::next_check(&ticket, &history, self.now, self.business, &playbooks) {
                self.store.schedule_check(&ticket.id, next.max(self.now)).await?;
            }
        }
        // Only as many from the outbox as the budget can send: each is a
        // get when listed, then its own steps.
        let room = budget.subrequests_left().min(budget.steps_left(self.kv_spent(), DELIVERY_KV + 1, ROLL_KV_RESERVE + 1));
        let outbox = if room == 0 { Vec::new() } else { self.store.outbox_due(self.now, room.min(MAX_TICKETS_PER_RUN)).await? };
        report.stopped |= room < MAX_TICKETS_PER_RUN && outbox.len() as u32 == room;
        for (key, delivery) in outbox {
            self.store.outbox_delete(&key).await?;
            self.deliver(delivery, budget, report).await?;
        }
        let room = budget.subrequests_left().min(budget.steps_left(self.kv_spent(), MAIL_KV + 1, ROLL_KV_RESERVE + 1));
        let mails = if room == 0 { Vec::new() } else { self.store.mail_due(self.now, room.min(MAX_TICKETS_PER_RUN)).await? };
        report.stopped |= room < MAX_TICKETS_PER_RUN && mails.len() as u32 == room;
        for (key, mail) in mails {
            self.send(mail, budget, report).await?;
            self.store.mail_delete(&key).await?;
        }
        self.roll_up(budget, report).await?;
        // Last: rows for queue entries from before rows existed, as many as
        // the budget still covers (the cursor's get, list and put, and
        // about four operations per entry).
        let room = budget.steps_left(self.kv_spent(), BACKFILL_KV, 3).min(BACKFILL_PER_RUN);
        if room > 0 {
            report.backfilled = self.backfill_rows(room).await?;
        }
        Ok(())
    }

    /// Writes the hourly metric roll-ups: every site's days with hours
    /// ended [`ROLL_DELAY_MS`] ago and not rolled up once (from the site's
    /// first day of facts, for facts stored before roll-ups), and the
    /// days whose facts changed since (`rd/` marks). Each day is rolled up
    /// whole from a listing of its facts and guided fixes.
    async fn roll_up(&self, budget: &Budget, report: &mut Report) -> Result<(), AppError> {
        let now = self.now.as_millis();
        // The first hour that has not ended ROLL_DELAY_MS ago.
        let open = (now - ROLL_DELAY_MS).div_euclid(HOUR_MS) * HOUR_MS;
        let mut days: Vec<(buoy_shared::ids::SiteId, i64)> = Vec::new();
        let mut watermarks = Vec::new();
        for site in self.config.sites.keys() {
            let Ok(site) = buoy_shared::ids::SiteId::parse(site) else { continue };
            // The watermark's get, and on a first run two lists and a put.
            if !budget.allows(self.kv_spent(), 0, 4 + ROLL_KV_RESERVE) {
                break;
            }
            let stored = self.store.watermark(&site).await?;
            let mark = match stored {
                Some(mark) => mark,
                None => {
                    // The first run for the site: from its first day of
                    // facts or fixes (stored before roll-ups existed), or
                    // the hour now open, before which nothing arrives.
                    let first = self.store.first_metrics_day(&site).await?.unwrap_or(open);
                    Watermark { first: first.div_euclid(DAY_MS) * DAY_MS, until: first }
                }
            };
            // Only when an hour has ended since: a run within the hour
            // rolled up last time lists nothing.
            let mut day = mark.until.div_euclid(DAY_MS) * DAY_MS;
            while mark.until < open && day < open {
                days.push((site.clone(), day));
                day += DAY_MS;
            }
            watermarks.push((site, mark, stored.is_some()));
        }
        let marks =
            if budget.allows(self.kv_spent(), 0, 1 + ROLL_KV_RESERVE) { self.store.roll_marks(self.now, 1000).await? } else { Vec::new() };
        for mark in &marks {
            if !days.contains(&(mark.site.clone(), mark.day)) {
                days.push((mark.site.clone(), mark.day));
            }
        }
        let mut rolled: Vec<(buoy_shared::ids::SiteId, i64)> = Vec::new();
        let mut n = 0;
        while n < days.len() {
            // A few days at once, as many as the budget still covers.
            let fit = budget.steps_left(self.kv_spent(), ROLL_KV_RESERVE, 0) as usize;
            let batch = &days[n..days.len().min(n + fit.min(ROLL_DAYS_AT_ONCE))];
            if batch.is_empty() {
                report.left_days = days.len() - n;
                break;
            }
            let done = futures_util::future::join_all(batch.iter().map(|(site, day)| async move {
                let (facts, fixes, _) = self.store.facts_of_days(site, &[*day]).await?;
                self.store.put_rollup(site, *day, &DayRollup::of(*day, &facts, &fixes, now)).await
            }))
            .await;
            for (result, key) in done.into_iter().zip(batch) {
                result?;
                rolled.push(key.clone());
                report.rolled += 1;
            }
            n += batch.len();
        }
        for mark in marks.iter().filter(|m| rolled.contains(&(m.site.clone(), m.day))) {
            self.store.clear_roll_mark(mark).await?;
        }
        // Each site's watermark moves past the days rolled up in a row.
        // A new site's watermark is written even with nothing rolled up,
        // so that reports know its first day.
        for (site, mark, stored) in watermarks {
            let mut until = mark.until;
            while until < open && rolled.contains(&(site.clone(), until.div_euclid(DAY_MS) * DAY_MS)) {
                until = (until.div_euclid(DAY_MS) + 1) * DAY_MS;
            }
            let until = until.min(open).max(mark.until);
            if until != mark.until || !stored {
                self.store.set_watermark(&site, &Watermark { until, ..mark }).await?;
            }
        }
        Ok(())
    }

    /// Gives queue entries written before rows existed their rows, at
    /// most `limit` a run (see `TicketStore::backfill_rows`).
    async fn backfill_rows(&self, limit: u32) -> Result<usize, AppError> {
        Ok(self.store.backfill_rows(self.now, self.business, limit).await?)
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
    async fn send(&self, mut mail: PendingMail, budget: &mut Budget, report: &mut Report) -> Result<(), AppError> {
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
        budget.spend_subrequest();
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
    async fn deliver(&self, mut delivery: PendingDelivery, budget: &mut Budget, report: &mut Report) -> Result<(), AppError> {
        if !budget.allows(self.kv_spent(), 1, DELIVERY_KV) {
            // Left for the next run, as it is: no attempt was made.
            self.store.outbox_put(self.now, &delivery).await?;
            report.deferred += 1;
            return Ok(());
        }
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
        budget.spend_subrequest();
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
