//! The inbox's state and its one `update` function: pure, tested on the
//! host. Every decision of the inbox module is made here: what shows,
//! when to poll, what the outbox sends next and what an answer does,
//! which drafts are stored, restored or deleted, and what a verified
//! user's history keeps or forgets. `lib.rs` turns the page, the storage
//! and the network into [`Msg`]s and carries out the [`Effect`]s; no
//! clock, randomness or browser call is made here.

use buoy_shared::inbox as rules;
use buoy_shared::messages::{self, MessageId};
use buoy_shared::ticket::{validate_body, Status, REQUESTER_TOKEN_HEADER, TURNSTILE_HEADER};
use buoy_widget_core::net::Failure;
use buoy_widget_core::protocol::{Form, Screen, Signal};
use buoy_widget_core::store::{Mine, Pending, Thread};
use std::collections::VecDeque;

/// Who the host last said the requester is (the panel passes it on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Told {
    /// Nothing yet.
    #[default]
    Nothing,
    /// A logout, or an identity without a signature.
    Anonymous,
    /// A signed identity: its claim as the API reads it (JSON).
    Signed(String),
}

/// What the panel and the storage say, read at start and at every signal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heard {
    /// The panel's signal.
    pub signal: Signal,
    /// Who the requester is.
    pub told: Told,
    /// The tickets stored for the site (another tab may have added some).
    pub stored: Vec<Mine>,
    /// The ids the last history listed on this device.
    pub learned: Vec<String>,
    /// Whether the outbox holds anything.
    pub sends: bool,
}

/// A control of the ticket form: its `name`, `type` (the DOM property)
/// and value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Control {
    /// Its name.
    pub name: String,
    /// Its type (`text`, `select-one`, `textarea`, `hidden`…).
    pub kind: String,
    /// What it holds.
    pub value: String,
}

/// Where the requester typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    /// The thread's reply box, with the outbox as stored now.
    Reply {
        /// The box's text.
        text: String,
        /// The outbox.
        outbox: Vec<Pending>,
    },
    /// The rating's comment.
    Comment(String),
    /// The ticket form: all its controls.
    Form(Vec<Control>),
}

/// What a new ticket's answer names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Created {
    /// The ticket's id.
    pub id: String,
    /// The requester's token for it.
    pub token: String,
    /// Its reference.
    pub reference: String,
}

/// An API answer, parsed into what the state needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The status; 0 when no answer came.
    pub status: u16,
    /// What the answer means when it is a refusal.
    pub failure: Failure,
    /// The `Retry-After` the API asked for, in seconds.
    pub retry_after: Option<u32>,
    /// A created ticket's id, token and reference.
    pub created: Option<Created>,
    /// A thread.
    pub thread: Option<Thread>,
    /// A verified user's history (each ticket with its creation time).
    pub listed: Option<Vec<Mine>>,
}

impl Answer {
    /// An answer with `status` and nothing parsed from its body.
    pub fn status(status: u16) -> Self {
        let failure = if status == 0 {
            Failure::Network
        } else {
            Failure::Problem { code: if status >= 500 { "internal" } else { "rejected" }.into(), errors: Vec::new() }
        };
        Self { status, failure, retry_after: None, created: None, thread: None, listed: None }
    }

    fn taken(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Which call an answer belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The outbox's send in flight.
    Send,
    /// A poll of the ticket with this token.
    Poll(String),
    /// The rating of the ticket with this token.
    Rate(String),
    /// The history of this claim.
    History(String),
}

/// A request body, which `lib.rs` encodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// JSON as stored in the outbox.
    Text(String),
    /// `{"comment", "satisfied"}`.
    Rating {
        /// The comment.
        comment: String,
        /// Whether the requester is satisfied.
        satisfied: bool,
    },
    /// `{"site", "identity"}`, the identity being this claim.
    History(String),
}

/// One API call to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// What its answer is for.
    pub purpose: Purpose,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path.
    pub url: String,
    /// Its headers.
    pub headers: Vec<(&'static str, String)>,
    /// Its body.
    pub body: Option<Body>,
}

/// A message to the host page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Post {
    /// `unread`, with the count.
    Unread(u32),
    /// `message:received`, with the ticket's reference.
    Received(String),
    /// `csat:submitted`, with the ticket's reference.
    Rated(String),
}

/// A line of the thread screen that shows an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// Under the reply box.
    Reply,
    /// Under the rating.
    Rate,
}

/// A change to the storage.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Store a ticket with its creation time.
    Ticket(Mine, f64),
    /// Queue a reply: its idempotency key, path, ticket id, token and text.
    Reply {
        /// Its idempotency key.
        key: String,
        /// Where it goes.
        url: String,
        /// The ticket's id.
        about: String,
        /// The requester's token.
        token: String,
        /// The reply's text.
        text: String,
        /// The local keys of its files, which it waits for (space-separated).
        files: String,
    },
    /// Clear the outbox's send with this key.
    Unqueue(String),
    /// Forget a ticket (by id).
    Forget(String),
    /// Store (or delete, when `None`) a ticket's reply draft.
    ReplyDraft(String, Option<String>),
    /// Store (or delete) a ticket's rating comment draft.
    CommentDraft(String, Option<String>),
    /// Store (or delete) the form's draft: its filled fields, by name.
    FormDraft(Option<Vec<(String, String)>>),
    /// Note the ids the identity's history listed (none: delete the note).
    Learned(Vec<String>),
}

/// What the inbox's screens show.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown<'a> {
    /// Neither the list nor a thread: only the home link and its count.
    Elsewhere,
    /// The list, oldest first (drawn newest first).
    Tickets(&'a [Mine]),
    /// One ticket's thread.
    Thread {
        /// The ticket, with its last thread.
        ticket: &'a Mine,
        /// Whether the reply box shows.
        can_reply: bool,
        /// Whether the rating shows.
        ask_rating: bool,
    },
}

/// What to draw: the home link (shown when there are tickets), the unread
/// count, and the screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing<'a> {
    /// Whether there are tickets.
    pub any: bool,
    /// Unread replies over all tickets.
    pub unread: u32,
    /// The screen.
    pub shown: Shown<'a>,
}

/// What `lib.rs` must do after an update, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Draw what [`State::drawing`] says.
    Draw,
    /// Empty the thread screen (its ticket was forgotten).
    ClearThread,
    /// Tell the host page.
    Post(Post),
    /// Call the API, then send back [`Msg::Answer`].
    Call(Call),
    /// Change the storage.
    Write(Write),
    /// Read the outbox (and the Turnstile token), then send back [`Msg::Outbox`].
    ReadOutbox,
    /// Report the form's ticket to the panel (with the answer's body),
    /// then send back [`Msg::Reported`].
    Report {
        /// Its idempotency key.
        key: String,
        /// The API's status (0: no answer).
        status: u16,
    },
    /// Turnstile's token was used: remove it, and ask for another.
    TurnstileUsed,
    /// Show an error line (or hide it).
    Error(Line, Option<MessageId>),
    /// Empty the reply box (the API took the reply).
    ClearReply,
    /// Move focus to "thanks for rating".
    FocusRated,
    /// Put a ticket's stored reply and comment drafts into their boxes.
    FillBoxes(String),
    /// Put these values into the form's controls of these names.
    FillForm(Vec<(String, String)>),
    /// Reset the ticket form.
    ResetForm,
    /// Start the one-second tick ([`Msg::Tick`]).
    StartTicking,
}

/// Something that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// The module started.
    Start {
        /// What the panel and the storage say.
        heard: Heard,
        /// The ticket form's controls.
        form: Vec<Control>,
        /// The form's stored draft, by name.
        draft: Vec<(String, String)>,
    },
    /// The panel signalled.
    Changed(Heard),
    /// A second passed.
    Tick {
        /// Now, ms since the epoch.
        now: f64,
        /// Whether the tab is hidden.
        hidden: bool,
        /// Whether the browser is online.
        online: bool,
    },
    /// The outbox, as stored now.
    Outbox {
        /// Its sends, oldest first.
        items: Vec<Pending>,
        /// Whether the site asks for a Turnstile check on new tickets.
        turnstile: bool,
        /// The check's token, until a send uses it.
        pass: Option<String>,
    },
    /// An answer.
    Answer {
        /// What it answers.
        purpose: Purpose,
        /// The answer.
        answer: Answer,
        /// Now.
        now: f64,
        /// A random number in 0–1 (the retry's jitter).
        random: f64,
    },
    /// The panel heard the report: its form's phase and controls now.
    Reported(Form, Vec<Control>),
    /// The tab became visible or hidden.
    Visibility,
    /// The browser is back online.
    Online,
    /// The requester typed.
    Typed(Typed),
    /// The ticket form was reset.
    FormReset,
    /// The requester sends a reply to the thread showing, with a fresh
    /// idempotency key and the local keys of the files chosen for it.
    Reply(String, String, String),
    /// The requester rates the thread showing: satisfied or not (none
    /// chosen), and the comment.
    Rate(Option<bool>, String),
}

/// The inbox's state.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// The requester's tickets on this device, oldest first.
    pub mine: Vec<Mine>,
    screen: Screen,
    open: bool,
    form: Form,
    now: f64,
    /// Polls in a row that found nothing new (the back-off).
    quiet: u32,
    /// Poll at the next tick, whatever the back-off says.
    poke: bool,
    ticking: bool,
    /// Ms since the last poll.
    waited: u32,
    /// A poll is due once the flush ends.
    poll_due: bool,
    /// Polls of this round still unanswered, and whether one brought news.
    polls: usize,
    news: bool,
    /// Sends that failed in a row, and when to try again (ms).
    failures: u32,
    send_at: f64,
    turnstile: bool,
    pass: Option<String>,
    /// The rest of the outbox this flush sends, the send in flight (and
    /// whether it used Turnstile's token), and a ticket's answer waiting
    /// for the panel to hear it.
    flushing: VecDeque<Pending>,
    sending: Option<(Pending, bool)>,
    stashed: Option<(Pending, Answer, f64)>,
    /// The ticket whose drafts the thread's boxes hold ("" before any).
    thread: String,
    /// The form's ticket went to the outbox and has no final answer yet.
    queued: bool,
    told: Told,
    /// The claim whose history this page asked for.
    asked: String,
    learned: Vec<String>,
}

/// The message for a failed call.
pub fn failure_message(failure: &Failure) -> MessageId {
    match failure {
        Failure::Network => MessageId::ErrNetwork,
        Failure::Problem { code, errors } => match errors.first() {
            Some(e) => messages::field_error(e.field, e.code),
            None => messages::problem(code),
        },
    }
}

fn ticket_url(id: &str, tail: &str) -> String {
    let mut url = String::from("/v1/tickets/");
    url.push_str(id);
    url.push_str(tail);
    url
}

fn token_header(token: &str) -> (&'static str, String) {
    (REQUESTER_TOKEN_HEADER, token.to_owned())
}

impl State {
    /// Takes in what happened; says what to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Start { heard, form, draft } => {
                self.start_drafts(&heard.signal, form, &draft, &mut fx);
                self.heard(heard, &mut fx);
            }
            Msg::Changed(heard) => self.heard(heard, &mut fx),
            Msg::Tick { now, hidden, online } => {
                self.now = now;
                self.waited = self.waited.saturating_add(1000);
                let delay = rules::poll_delay(self.open, hidden, self.quiet);
                let due = (self.poke && !hidden) || delay.is_some_and(|d| self.waited >= d);
                self.poke &= !due;
                if due {
                    self.waited = 0;
                    self.poll_due = true;
                }
                if now >= self.send_at && online {
                    fx.push(Effect::ReadOutbox);
                } else {
                    self.end_flush(&mut fx);
                }
            }
            Msg::Outbox { items, turnstile, pass } => {
                // A message whose files are not all uploaded waits: the
                // upload module writes their ids into it, then it goes.
                self.flushing = items.into_iter().filter(|p| p.files.is_empty()).collect();
                (self.turnstile, self.pass) = (turnstile, pass);
                self.next_send(&mut fx);
            }
            Msg::Answer { purpose, answer, now, random } => {
                self.now = now;
                match purpose {
                    Purpose::Send => self.send_answered(answer, random, &mut fx),
                    Purpose::Poll(token) => self.polled(&token, answer, &mut fx),
                    Purpose::Rate(token) => self.rated(&token, &answer, &mut fx),
                    Purpose::History(claim) => self.listed(&claim, answer, &mut fx),
                }
            }
            Msg::Reported(form, controls) => {
                if let Some((p, answer, random)) = self.stashed.take() {
                    self.drafts_sent(answer.status, form, &controls, &mut fx);
                    self.sent(p, answer, random, &mut fx);
                }
            }
            Msg::Visibility => self.poke = true,
            Msg::Online => self.send_at = 0.0,
            Msg::Typed(typed) => self.typed(typed, &mut fx),
            Msg::FormReset => fx.push(Effect::Write(Write::FormDraft(None))),
            Msg::Reply(text, key, files) => self.queue_reply(&text, key, files, &mut fx),
            Msg::Rate(choice, comment) => self.rate(choice, comment, &mut fx),
        }
        fx
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.mine.iter().position(|m| m.id == id)
    }

    /// The ticket whose thread shows, if any.
    fn open_thread(&self) -> Option<usize> {
        let Screen::Thread(ticket) = &self.screen else { return None };
        self.position(ticket)
    }

    /// Takes in what the panel says: the screen, the panel's visibility,
    /// tickets stored since (kept with what the inbox knows of them), who
    /// the requester is; keeps polling while there is something to poll,
    /// and brings the drafts of a thread that shows.
    fn heard(&mut self, heard: Heard, fx: &mut Vec<Effect>) {
        let Heard { signal, told, stored, learned, sends } = heard;
        if signal.screen != self.screen || (signal.open && !self.open) {
            self.poke = true;
        }
        (self.screen, self.open) = (signal.screen.clone(), signal.open);
        // Something new to send (or the requester pressed send again): now.
        self.send_at = 0.0;
        for stored in stored {
            if self.position(&stored.id).is_none() {
                self.mine.push(stored);
            }
        }
        (self.told, self.learned) = (told, learned);
        self.draw(fx);
        self.history(fx);
        self.start_ticking(sends, fx);
        self.drafts_changed(&signal, fx);
    }

    fn start_ticking(&mut self, sends: bool, fx: &mut Vec<Effect>) {
        if self.ticking || (self.mine.is_empty() && !sends) {
            return;
        }
        self.ticking = true;
        self.poke = true;
        fx.push(Effect::StartTicking);
    }

    /// What the inbox's screens show now: the list, the thread that
    /// shows (what its status allows), or neither; and the unread count.
    pub fn drawing(&self) -> Drawing<'_> {
        let shown = match (&self.screen, self.open_thread()) {
            (Screen::Tickets, _) => Shown::Tickets(&self.mine),
            (_, Some(i)) => {
                let ticket = &self.mine[i];
                let status = ticket.status.unwrap_or(Status::New);
                Shown::Thread { ticket, can_reply: rules::can_reply(status), ask_rating: rules::asks_for_rating(status, ticket.rated) }
            }
            _ => Shown::Elsewhere,
        };
        Drawing { any: !self.mine.is_empty(), unread: self.unread(), shown }
    }

    fn unread(&self) -> u32 {
        self.mine.iter().map(Mine::unread).sum()
    }

    /// Draws whichever of the inbox's screens shows, and the unread counts.
    fn draw(&mut self, fx: &mut Vec<Effect>) {
        match self.screen {
            Screen::Thread(_) => self.draw_thread(fx),
            _ => self.drawn(fx),
        }
    }

    fn drawn(&self, fx: &mut Vec<Effect>) {
        fx.push(Effect::Draw);
        fx.push(Effect::Post(Post::Unread(self.unread())));
    }

    /// Draws the thread showing (from the last poll) and marks it seen.
    fn draw_thread(&mut self, fx: &mut Vec<Effect>) {
        let Some(i) = self.open_thread() else { return };
        let mine = &mut self.mine[i];
        let changed = mine.seen != mine.replies;
        mine.seen = mine.replies;
        if changed {
            fx.push(Effect::Write(Write::Ticket(mine.clone(), mine.stored)));
        }
        self.drawn(fx);
    }

    /// Sends the next of the outbox, oldest first, each with its
    /// idempotency key (so a retry never makes a second ticket or reply).
    /// A site with Turnstile: a new ticket goes with a fresh token from
    /// the check; none yet, it waits.
    fn next_send(&mut self, fx: &mut Vec<Effect>) {
        let Some(p) = self.flushing.pop_front() else { return self.end_flush(fx) };
        let checked = p.token.is_none() && self.turnstile;
        let pass = if checked { self.pass.take() } else { None };
        if checked && pass.is_none() {
            self.send_at = self.now + 500.0;
            self.flushing.clear();
            return self.end_flush(fx);
        }
        let mut headers = vec![("idempotency-key", p.key.clone())];
        headers.extend(p.token.as_deref().map(token_header));
        headers.extend(pass.map(|pass| (TURNSTILE_HEADER, pass)));
        let body = Some(Body::Text(p.body.clone()));
        fx.push(Effect::Call(Call { purpose: Purpose::Send, method: "POST", url: p.url.clone(), headers, body }));
        self.sending = Some((p, checked));
    }

    fn end_flush(&mut self, fx: &mut Vec<Effect>) {
        if std::mem::take(&mut self.poll_due) {
            self.poll(fx);
        }
    }

    fn send_answered(&mut self, answer: Answer, random: f64, fx: &mut Vec<Effect>) {
        let Some((p, checked)) = self.sending.take() else { return };
        if checked {
            // Single-use: whatever the answer, the next send needs a new one.
            fx.push(Effect::TurnstileUsed);
        }
        if p.token.is_none() {
            // The panel hears first; the rest follows at `Reported`.
            fx.push(Effect::Report { key: p.key.clone(), status: answer.status });
            self.stashed = Some((p, answer, random));
        } else {
            self.sent(p, answer, random, fx);
        }
    }

    /// No answer, a 429 or a 5xx: the send stays, and the next try waits
    /// (`retry_delay`, jittered, at least `Retry-After`). A 2xx clears it;
    /// another refusal clears it too, and the requester is shown why,
    /// their text still in its box.
    fn sent(&mut self, p: Pending, answer: Answer, random: f64, fx: &mut Vec<Effect>) {
        let is_ticket = p.token.is_none();
        if rules::should_retry(answer.status) {
            self.failures += 1;
            self.send_at = self.now + f64::from(rules::retry_delay(self.failures, answer.retry_after, random));
            if !is_ticket {
                fx.push(Effect::Error(Line::Reply, Some(failure_message(&answer.failure))));
            }
            self.flushing.clear();
            return self.end_flush(fx);
        }
        self.failures = 0;
        fx.push(Effect::Write(Write::Unqueue(p.key.clone())));
        match (is_ticket, answer.taken()) {
            (true, true) => {
                if let Some(Created { id, token, reference }) = answer.created {
                    if self.position(&id).is_none() {
                        let mine = Mine::new(id, token, reference, p.about);
                        fx.push(Effect::Write(Write::Ticket(mine.clone(), self.now)));
                        self.mine.push(mine);
                    }
                }
            }
            (false, true) => {
                if let (Some(i), Some(thread)) = (self.position(&p.about), answer.thread) {
                    self.mine[i].update(thread);
                }
                if self.open_thread().is_some_and(|i| self.mine[i].id == p.about) {
                    fx.push(Effect::ClearReply);
                    fx.push(Effect::Error(Line::Reply, None));
                }
            }
            (false, false) => fx.push(Effect::Error(Line::Reply, Some(failure_message(&answer.failure)))),
            (true, false) => {}
        }
        self.draw(fx);
        self.next_send(fx);
    }

    /// Reads every live ticket's thread.
    fn poll(&mut self, fx: &mut Vec<Effect>) {
        let live = self.mine.iter().filter(|m| rules::is_live(m.status));
        let calls: Vec<Effect> = live
            .map(|m| {
                let (purpose, headers) = (Purpose::Poll(m.token.clone()), vec![token_header(&m.token)]);
                Effect::Call(Call { purpose, method: "GET", url: ticket_url(&m.id, ""), headers, body: None })
            })
            .collect();
        (self.polls, self.news) = (calls.len(), false);
        if calls.is_empty() {
            self.polled_all(fx);
        }
        fx.extend(calls);
    }

    /// New agent replies are drawn, counted as unread and announced to the
    /// host page (`message:received`).
    fn polled(&mut self, token: &str, answer: Answer, fx: &mut Vec<Effect>) {
        if let (200, Some(thread)) = (answer.status, answer.thread) {
            if let Some(mine) = self.mine.iter_mut().find(|m| m.token == token) {
                if mine.update(thread) {
                    self.news = true;
                    fx.push(Effect::Post(Post::Received(mine.reference.clone())));
                }
            }
        }
        self.polls = self.polls.saturating_sub(1);
        if self.polls == 0 {
            self.polled_all(fx);
        }
    }

    fn polled_all(&mut self, fx: &mut Vec<Effect>) {
        self.quiet = if self.news { 0 } else { self.quiet.saturating_add(1) };
        self.draw(fx);
    }

    /// Puts the requester's reply to the thread showing in the outbox
    /// (sent at the next tick); the typed text stays in its box until the
    /// API has taken it, and its draft goes.
    /// A reply with files may have no text.
    fn queue_reply(&mut self, text: &str, key: String, files: String, fx: &mut Vec<Effect>) {
        let Some(i) = self.open_thread() else { return };
        let checked = if files.is_empty() || !text.trim().is_empty() { validate_body(text) } else { Ok(String::new()) };
        match checked {
            Err(e) => fx.push(Effect::Error(Line::Reply, Some(messages::field_error(e.field, e.code)))),
            Ok(text) => {
                let mine = &self.mine[i];
                let (about, token, url) = (mine.id.clone(), mine.token.clone(), ticket_url(&mine.id, "/messages"));
                fx.push(Effect::Write(Write::Reply { key, url, about: about.clone(), token, text, files }));
                fx.push(Effect::Error(Line::Reply, None));
                fx.push(Effect::Write(Write::ReplyDraft(about, None)));
                self.send_at = 0.0;
            }
        }
    }

    /// Sends the requester's rating of the thread showing.
    fn rate(&mut self, choice: Option<bool>, comment: String, fx: &mut Vec<Effect>) {
        let Some(i) = self.open_thread() else { return };
        let Some(satisfied) = choice else { return fx.push(Effect::Error(Line::Rate, Some(MessageId::ChooseRating))) };
        let mine = &self.mine[i];
        fx.push(Effect::Call(Call {
            purpose: Purpose::Rate(mine.token.clone()),
            method: "POST",
            url: ticket_url(&mine.id, "/csat"),
            headers: vec![token_header(&mine.token)],
            body: Some(Body::Rating { comment, satisfied }),
        }));
    }

    /// A rating taken (or one given before): the thread says so, the host
    /// hears `csat:submitted`, and the comment's draft goes.
    fn rated(&mut self, token: &str, answer: &Answer, fx: &mut Vec<Effect>) {
        let already = answer.status == 409 && matches!(&answer.failure, Failure::Problem { code, .. } if code == "already_rated");
        let Some(mine) = self.mine.iter_mut().find(|m| m.token == token) else { return };
        match (answer.status, &answer.thread) {
            (201, Some(thread)) => {
                mine.update(thread.clone());
            }
            (201, None) => {}
            _ if already => mine.rated = true,
            _ => return fx.push(Effect::Error(Line::Rate, Some(failure_message(&answer.failure)))),
        }
        fx.push(Effect::Error(Line::Rate, None));
        fx.push(Effect::Post(Post::Rated(mine.reference.clone())));
        fx.push(Effect::Write(Write::CommentDraft(mine.id.clone(), None)));
        self.draw_thread(fx);
        fx.push(Effect::FocusRated);
    }

    // Drafts: what the requester typed but has not sent yet survives a
    // reload. The outbox takes over from the moment something is sent.

    /// At start: a ticket already being sent loses its draft; otherwise
    /// the stored one fills the form's empty fields, and what the
    /// requester typed before this module arrived is stored.
    fn start_drafts(&mut self, signal: &Signal, mut form: Vec<Control>, draft: &[(String, String)], fx: &mut Vec<Effect>) {
        if signal.form == Form::Sending {
            self.queued = true;
            fx.push(Effect::Write(Write::FormDraft(None)));
            return;
        }
        let mut fills = Vec::new();
        for control in form.iter_mut().filter(|c| rules::is_draft_field(&c.name, &c.kind) && c.value.is_empty()) {
            if let Some((_, saved)) = draft.iter().find(|(name, saved)| *name == control.name && !saved.is_empty()) {
                control.value.clone_from(saved);
                fills.push((control.name.clone(), saved.clone()));
            }
        }
        if !fills.is_empty() {
            fx.push(Effect::FillForm(fills));
        }
        if signal.typed {
            save_form(&form, fx);
        }
    }

    /// A screen changed: a ticket being sent loses its draft; a thread
    /// shown for another ticket than the last gets that ticket's drafts
    /// in its boxes (the same ticket again keeps what its boxes hold).
    fn drafts_changed(&mut self, signal: &Signal, fx: &mut Vec<Effect>) {
        self.form = signal.form;
        if signal.form == Form::Sending {
            self.queued = true;
            fx.push(Effect::Write(Write::FormDraft(None)));
        }
        let Screen::Thread(ticket) = &signal.screen else { return };
        if *ticket != self.thread {
            self.thread.clone_from(ticket);
            fx.push(Effect::FillBoxes(ticket.clone()));
        }
    }

    /// The requester typed: stores the draft the control belongs to (one
    /// emptied is deleted, never stored empty).
    fn typed(&mut self, typed: Typed, fx: &mut Vec<Effect>) {
        let ticket = self.thread.clone();
        let text = |text: String| (!rules::draft_is_empty([("textarea", text.as_str())])).then_some(text);
        match typed {
            // A reply on its way keeps its text in the outbox.
            Typed::Reply { text: t, outbox } => {
                if !ticket.is_empty() && !outbox.iter().any(|p| p.token.is_some() && p.about == ticket) {
                    fx.push(Effect::Write(Write::ReplyDraft(ticket, text(t))));
                }
            }
            Typed::Comment(t) => {
                if !ticket.is_empty() {
                    fx.push(Effect::Write(Write::CommentDraft(ticket, text(t))));
                }
            }
            Typed::Form(controls) => {
                if self.form != Form::Sending {
                    save_form(&controls, fx);
                }
            }
        }
    }

    /// The form's ticket was answered (the panel heard first). Taken: the
    /// panel confirms it, and anything typed while it was retried goes
    /// with the form. Refused for good, its text still in the form: that
    /// is kept again. No answer yet: the outbox still holds it.
    fn drafts_sent(&mut self, status: u16, form: Form, controls: &[Control], fx: &mut Vec<Effect>) {
        self.form = form;
        if !self.queued || rules::should_retry(status) {
            return;
        }
        if form == Form::Sent {
            self.queued = false;
            fx.push(Effect::Write(Write::FormDraft(None)));
        } else if !(200..300).contains(&status) && form != Form::Sending {
            self.queued = false;
            save_form(controls, fx);
        }
    }

    // History: a verified user's tickets from their other devices.

    /// A new signed identity's history is asked for once the panel is
    /// open (never at page load: nothing is stored before the requester
    /// acts); a logout or an unsigned identity forgets what the last
    /// history listed.
    fn history(&mut self, fx: &mut Vec<Effect>) {
        match &self.told {
            Told::Nothing => {}
            Told::Anonymous => {
                self.asked.clear();
                self.forget(&[], fx);
            }
            Told::Signed(claim) if self.open && self.asked != *claim => {
                self.asked.clone_from(claim);
                let (purpose, body) = (Purpose::History(claim.clone()), Some(Body::History(claim.clone())));
                fx.push(Effect::Call(Call { purpose, method: "POST", url: "/v1/tickets/mine".into(), headers: Vec::new(), body }));
            }
            Told::Signed(_) => {}
        }
    }

    /// Keeps the tickets a history listed that this device did not know
    /// (stored, polled with their own tokens), notes which it listed, and
    /// forgets the previous identity's.
    fn listed(&mut self, claim: &str, answer: Answer, fx: &mut Vec<Effect>) {
        // Logged out, or someone else signed in, while it was asked: not theirs.
        if !matches!(&self.told, Told::Signed(told) if told == claim) {
            return;
        }
        let listed = match answer.status {
            200 => answer.listed,
            // No answer: ask again at the next change the panel signals.
            0 => {
                self.asked.clear();
                None
            }
            // Refused (a bad or expired identity): anonymous, nothing to keep.
            _ => None,
        };
        let Some(listed) = listed else { return };
        let mut ids = Vec::new();
        for mine in listed {
            ids.push(mine.id.clone());
            if self.position(&mine.id).is_none() {
                fx.push(Effect::Write(Write::Ticket(mine.clone(), mine.stored)));
                self.mine.push(mine);
            }
        }
        // Oldest first, as stored; a ticket sent in this page's life has
        // no time yet and stays the newest.
        let at = |m: &Mine| if m.stored > 0.0 { m.stored } else { f64::INFINITY };
        self.mine.sort_by(|a, b| at(a).total_cmp(&at(b)));
        self.forget(&ids, fx);
        self.poke = true;
        self.draw(fx);
        self.start_ticking(false, fx);
    }

    /// Forgets, on this device, the tickets the last history listed (and
    /// their drafts) but for those in `keep`, which are noted instead; a
    /// thread of theirs that shows is emptied. Signed out (nothing kept):
    /// the form's half-typed ticket goes too.
    fn forget(&mut self, keep: &[String], fx: &mut Vec<Effect>) {
        let before = std::mem::replace(&mut self.learned, keep.to_vec());
        if before != keep {
            fx.push(Effect::Write(Write::Learned(keep.to_vec())));
        }
        let gone: Vec<String> = before.into_iter().filter(|id| !keep.contains(id)).collect();
        if gone.is_empty() {
            return;
        }
        for id in &gone {
            // Drafts before the ticket, whose forgetting decides whether
            // the site's marker stays.
            fx.push(Effect::Write(Write::ReplyDraft(id.clone(), None)));
            fx.push(Effect::Write(Write::CommentDraft(id.clone(), None)));
            fx.push(Effect::Write(Write::Forget(id.clone())));
        }
        if keep.is_empty() {
            fx.push(Effect::ResetForm);
            fx.push(Effect::Write(Write::FormDraft(None)));
        }
        self.mine.retain(|m| !gone.contains(&m.id));
        if matches!(&self.screen, Screen::Thread(ticket) if gone.contains(ticket)) {
            fx.push(Effect::ClearThread);
        }
        self.draw(fx);
    }
}

/// Stores what the form holds (its filled draft fields, by name), or
/// deletes the draft when it holds no text.
fn save_form(controls: &[Control], fx: &mut Vec<Effect>) {
    let fields: Vec<&Control> = controls.iter().filter(|c| rules::is_draft_field(&c.name, &c.kind)).collect();
    let draft = if rules::draft_is_empty(fields.iter().map(|c| (c.kind.as_str(), c.value.as_str()))) {
        None
    } else {
        Some(fields.iter().filter(|c| !c.value.is_empty()).map(|c| (c.name.clone(), c.value.clone())).collect())
    };
    fx.push(Effect::Write(Write::FormDraft(draft)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(id: &str) -> Mine {
        Mine::new(id.into(), format!("tok-{id}"), format!("REF-{id}"), format!("About {id}"))
    }

    fn pending_ticket(key: &str) -> Pending {
        Pending {
            key: key.into(),
            url: "/v1/tickets".into(),
            body: "{}".into(),
            about: "Export fails".into(),
            token: None,
            queued: 1.0,
            files: String::new(),
        }
    }

    fn pending_reply(key: &str, id: &str) -> Pending {
        let (url, token) = (ticket_url(id, "/messages"), Some(format!("tok-{id}")));
        Pending { key: key.into(), url, body: "{\"body\":\"hi\"}".into(), about: id.into(), token, queued: 2.0, files: String::new() }
    }

    fn heard(screen: Screen, open: bool, stored: Vec<Mine>, sends: bool) -> Heard {
        Heard { signal: Signal { screen, open, ..Signal::default() }, stored, sends, ..Heard::default() }
    }

    fn answer(status: u16) -> Answer {
        Answer::status(status)
    }

    fn thread(agent_replies: usize, status: Status) -> Thread {
        let mut messages = vec![Message { from: "you".into(), ..Message::default() }];
        messages.extend((0..agent_replies).map(|_| Message { from: "Sam".into(), ..Message::default() }));
        Thread { status: Some(status), messages, ..Thread::default() }
    }

    use buoy_widget_core::store::Message;

    fn calls(fx: &[Effect]) -> Vec<&Call> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Call(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    fn key_of(call: &Call) -> Option<&str> {
        call.headers.iter().find(|(name, _)| *name == "idempotency-key").map(|(_, v)| v.as_str())
    }

    /// A tick at `now`, then the outbox as stored: the sends it makes.
    fn flush(state: &mut State, now: f64, outbox: &[Pending]) -> Vec<Effect> {
        let mut fx = state.update(Msg::Tick { now, hidden: false, online: true });
        if fx.contains(&Effect::ReadOutbox) {
            fx.extend(state.update(Msg::Outbox { items: outbox.to_vec(), turnstile: false, pass: None }));
        }
        fx
    }

    /// The answer to the send in flight, carried through the panel's report.
    fn answered(state: &mut State, answer: Answer, now: f64) -> Vec<Effect> {
        let mut fx = state.update(Msg::Answer { purpose: Purpose::Send, answer, now, random: 0.5 });
        if fx.iter().any(|e| matches!(e, Effect::Report { .. })) {
            fx.extend(state.update(Msg::Reported(Form::Sending, Vec::new())));
        }
        fx
    }

    fn created(id: &str) -> Answer {
        let id = id.to_owned();
        Answer { created: Some(Created { token: format!("tok-{id}"), reference: format!("REF-{id}"), id }), ..answer(201) }
    }

    fn started(stored: Vec<Mine>, sends: bool) -> State {
        let mut state = State::default();
        state.update(Msg::Start { heard: heard(Screen::Elsewhere, false, stored, sends), form: Vec::new(), draft: Vec::new() });
        state
    }

    #[test]
    fn a_message_waits_for_its_files_then_goes_once_with_its_key() {
        let mut waiting = pending_ticket("k1");
        waiting.files = "f1 f2".into();
        let mut state = started(Vec::new(), true);
        for now in [1_000.0, 2_000.0, 3_000.0] {
            assert!(calls(&flush(&mut state, now, &[waiting.clone(), pending_reply("r1", "t0")])).iter().all(|c| key_of(c) == Some("r1")));
            answered(&mut state, answer(201), now);
        }
        // The upload module wrote the upload ids into its body and emptied its files.
        let ready = Pending { body: "{\"attachments\":[\"up_1\",\"up_2\"]}".into(), files: String::new(), ..waiting };
        let fx = flush(&mut state, 4_000.0, &[ready]);
        let sent = calls(&fx);
        assert_eq!(sent.len(), 1);
        assert_eq!(key_of(sent[0]), Some("k1"), "its own idempotency key");
        assert_eq!(sent[0].body, Some(Body::Text("{\"attachments\":[\"up_1\",\"up_2\"]}".into())));
    }

    #[test]
    fn offline_a_send_stays_queued_is_retried_after_the_back_off_and_online_sends_at_once() {
        let outbox = [pending_ticket("k1")];
        let mut state = started(Vec::new(), true);
        let fx = flush(&mut state, 1_000.0, &outbox);
        assert_eq!(calls(&fx).len(), 1);
        let fx = answered(&mut state, answer(0), 1_000.0);
        assert!(fx.contains(&Effect::Report { key: "k1".into(), status: 0 }), "the panel hears there was no answer");
        assert!(!fx.iter().any(|e| matches!(e, Effect::Write(Write::Unqueue(_)))), "nothing lost: it stays in the outbox");
        // The back-off: 1 s (jitter 0.5 → ×1) after the first failure.
        assert!(calls(&flush(&mut state, 1_500.0, &outbox)).is_empty(), "not before the back-off");
        let fx = flush(&mut state, 2_000.0, &outbox);
        assert_eq!(calls(&fx).iter().map(|c| key_of(c)).collect::<Vec<_>>(), [Some("k1")], "retried with its key");
        answered(&mut state, answer(0), 2_000.0);
        assert!(calls(&flush(&mut state, 3_000.0, &outbox)).is_empty(), "the second failure waits 2 s");
        // Offline: no send at all, whatever the time.
        assert!(!state.update(Msg::Tick { now: 60_000.0, hidden: false, online: false }).contains(&Effect::ReadOutbox));
        // Back online: at once.
        state.update(Msg::Online);
        let fx = flush(&mut state, 3_100.0, &outbox);
        assert_eq!(calls(&fx).len(), 1);
        let fx = answered(&mut state, created("t1"), 3_100.0);
        assert!(fx.contains(&Effect::Write(Write::Unqueue("k1".into()))));
        assert_eq!(state.mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["t1"], "the ticket is listed");
        assert!(fx.iter().any(|e| matches!(e, Effect::Write(Write::Ticket(m, at)) if m.id == "t1" && *at == 3_100.0)), "and stored");
    }

    #[test]
    fn a_reply_with_no_answer_says_so_and_keeps_its_text() {
        let mut state = started(vec![ticket("t1")], false);
        let outbox = [pending_reply("r1", "t1")];
        flush(&mut state, 1_000.0, &outbox);
        let fx = answered(&mut state, answer(0), 1_000.0);
        assert!(fx.contains(&Effect::Error(Line::Reply, Some(MessageId::ErrNetwork))));
        assert!(!fx.contains(&Effect::ClearReply) && !fx.iter().any(|e| matches!(e, Effect::Write(Write::Unqueue(_)))));
    }

    #[test]
    fn a_429_waits_at_least_its_retry_after_then_sends_once_with_the_same_key() {
        let outbox = [pending_ticket("k1")];
        let mut state = started(Vec::new(), true);
        flush(&mut state, 0.0, &outbox);
        answered(&mut state, Answer { retry_after: Some(30), ..answer(429) }, 0.0);
        for now in [1_000.0, 10_000.0, 29_000.0] {
            assert!(calls(&flush(&mut state, now, &outbox)).is_empty(), "nothing at {now} ms");
        }
        let fx = flush(&mut state, 30_000.0, &outbox);
        let sent = calls(&fx);
        assert_eq!(sent.len(), 1, "sent once");
        assert_eq!(key_of(sent[0]), Some("k1"));
        answered(&mut state, created("t1"), 30_000.0);
        assert!(calls(&flush(&mut state, 31_000.0, &[])).iter().all(|c| c.purpose != Purpose::Send), "and not again");
    }

    #[test]
    fn a_reload_mid_send_sends_the_queued_ticket_again_with_its_key_and_reports_it() {
        // A new page: the state rebuilt from storage, the send still queued.
        let outbox = [pending_ticket("k1"), pending_reply("r1", "t0")];
        let mut state = started(vec![ticket("t0")], true);
        let fx = flush(&mut state, 5_000.0, &outbox);
        assert_eq!(calls(&fx).iter().map(|c| key_of(c)).collect::<Vec<_>>(), [Some("k1")], "the oldest first");
        let fx = answered(&mut state, created("t1"), 5_000.0);
        assert!(fx.contains(&Effect::Report { key: "k1".into(), status: 201 }), "reported to the panel");
        let reply = calls(&fx);
        assert_eq!(reply.iter().map(|c| key_of(c)).collect::<Vec<_>>(), [Some("r1")], "then the reply, with its key");
        assert!(reply[0].headers.contains(&(REQUESTER_TOKEN_HEADER, "tok-t0".into())));
        let fx = answered(&mut state, Answer { thread: Some(thread(0, Status::Open)), ..answer(201) }, 5_000.0);
        assert!(fx.contains(&Effect::Write(Write::Unqueue("r1".into()))));
        assert_eq!(state.mine.len(), 2);
    }

    #[test]
    fn a_refused_reply_is_cleared_from_the_outbox_and_the_requester_is_told_why() {
        let mut state = started(vec![ticket("t1")], false);
        flush(&mut state, 0.0, &[pending_reply("r1", "t1")]);
        let refused = Answer { failure: Failure::Problem { code: "not_found".into(), errors: Vec::new() }, ..answer(404) };
        let fx = answered(&mut state, refused, 0.0);
        assert!(fx.contains(&Effect::Write(Write::Unqueue("r1".into()))));
        assert!(fx.contains(&Effect::Error(Line::Reply, Some(messages::problem("not_found")))));
    }

    #[test]
    fn two_tabs_sharing_one_storage_make_one_ticket_and_both_list_it() {
        let outbox = vec![pending_ticket("k1")];
        let (mut a, mut b) = (started(Vec::new(), true), started(Vec::new(), true));
        // Both read the outbox before either heard back: both send it,
        // with the same key, and the API answers the same ticket.
        let (fa, fb) = (flush(&mut a, 1_000.0, &outbox), flush(&mut b, 1_000.0, &outbox));
        assert_eq!((key_of(calls(&fa)[0]), key_of(calls(&fb)[0])), (Some("k1"), Some("k1")));
        answered(&mut a, created("t1"), 1_000.0);
        answered(&mut b, created("t1"), 1_000.0);
        // Each tab hears the other's stored ticket at the next signal.
        let stored = vec![ticket("t1")];
        a.update(Msg::Changed(heard(Screen::Tickets, true, stored.clone(), false)));
        let fx = b.update(Msg::Changed(heard(Screen::Tickets, true, stored, false)));
        for tab in [&a, &b] {
            assert_eq!(tab.mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["t1"], "one ticket");
        }
        assert!(fx.contains(&Effect::Draw));
        assert!(matches!(b.drawing().shown, Shown::Tickets(list) if list.len() == 1), "and shows it");
        // Once one tab cleared it, the other reads an empty outbox.
        assert!(calls(&flush(&mut a, 2_000.0, &[])).iter().all(|c| c.purpose != Purpose::Send));
    }

    #[test]
    fn a_ticket_from_another_tab_is_listed_at_the_next_signal() {
        let mut state = started(vec![ticket("t1")], false);
        state.update(Msg::Changed(heard(Screen::Elsewhere, false, vec![ticket("t1"), ticket("t2")], false)));
        assert_eq!(state.mine.len(), 2);
    }

    fn told(claim: &str, open: bool, learned: &[&str]) -> Heard {
        let told = if claim.is_empty() { Told::Anonymous } else { Told::Signed(claim.into()) };
        let learned = learned.iter().map(|s| (*s).to_owned()).collect();
        Heard { told, learned, ..heard(Screen::Elsewhere, open, Vec::new(), false) }
    }

    fn listed(ids: &[&str]) -> Answer {
        let tickets = ids.iter().map(|id| Mine { stored: 1.0, ..ticket(id) }).collect();
        Answer { listed: Some(tickets), ..answer(200) }
    }

    #[test]
    fn a_signed_identity_history_is_asked_once_the_panel_opens_and_kept() {
        let mut state = started(vec![ticket("here")], false);
        let fx = state.update(Msg::Changed(told("{\"id\":\"u1\"}", false, &[])));
        assert!(calls(&fx).is_empty(), "never at page load");
        let fx = state.update(Msg::Changed(told("{\"id\":\"u1\"}", true, &[])));
        assert_eq!(calls(&fx).iter().map(|c| c.url.as_str()).collect::<Vec<_>>(), ["/v1/tickets/mine"]);
        assert!(calls(&state.update(Msg::Changed(told("{\"id\":\"u1\"}", true, &[])))).is_empty(), "once per identity");
        let purpose = Purpose::History("{\"id\":\"u1\"}".into());
        let fx = state.update(Msg::Answer { purpose, answer: listed(&["a", "b"]), now: 0.0, random: 0.0 });
        assert!(fx.contains(&Effect::Write(Write::Learned(vec!["a".into(), "b".into()]))));
        assert_eq!(state.mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["a", "b", "here"], "oldest first");
    }

    #[test]
    fn logout_forgets_the_history_its_drafts_and_the_form_but_keeps_tickets_sent_here() {
        let claim = "{\"id\":\"u1\"}";
        let mut state = started(vec![ticket("here")], false);
        state.update(Msg::Changed(told(claim, true, &[])));
        state.update(Msg::Answer { purpose: Purpose::History(claim.into()), answer: listed(&["a"]), now: 0.0, random: 0.0 });
        let fx = state.update(Msg::Changed(Heard { stored: vec![ticket("here"), ticket("a")], ..told("", true, &["a"]) }));
        for write in [Write::ReplyDraft("a".into(), None), Write::CommentDraft("a".into(), None), Write::Forget("a".into())] {
            assert!(fx.contains(&Effect::Write(write.clone())), "{write:?}");
        }
        assert!(fx.contains(&Effect::Write(Write::Learned(Vec::new()))), "the stored ids go");
        assert!(fx.contains(&Effect::ResetForm) && fx.contains(&Effect::Write(Write::FormDraft(None))), "the form's draft goes");
        assert_eq!(state.mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["here"], "a ticket sent here stays");
        // A history that arrives after the logout is not theirs to keep.
        let late = state.update(Msg::Answer { purpose: Purpose::History(claim.into()), answer: listed(&["a"]), now: 0.0, random: 0.0 });
        assert!(late.is_empty() && state.mine.len() == 1);
    }

    #[test]
    fn another_identity_replaces_the_last_ones_tickets() {
        let mut state = started(Vec::new(), false);
        let fx = state.update(Msg::Changed(told("{\"id\":\"u2\"}", true, &["a"])));
        assert_eq!(calls(&fx).len(), 1);
        let fx = state.update(Msg::Answer {
            purpose: Purpose::History("{\"id\":\"u2\"}".into()),
            answer: listed(&["b"]),
            now: 0.0,
            random: 0.0,
        });
        assert!(fx.contains(&Effect::Write(Write::Forget("a".into()))));
        assert!(!fx.contains(&Effect::ResetForm), "signed in: the form stays");
        assert_eq!(state.mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    /// Ticks until a poll of `token` is asked for; the seconds it took.
    fn seconds_to_poll(state: &mut State, open: bool, hidden: bool) -> Option<u32> {
        state.update(Msg::Changed(heard(Screen::Elsewhere, open, Vec::new(), false)));
        for second in 1..=400 {
            let mut fx = state.update(Msg::Tick { now: 0.0, hidden, online: true });
            if fx.contains(&Effect::ReadOutbox) {
                fx.extend(state.update(Msg::Outbox { items: Vec::new(), turnstile: false, pass: None }));
            }
            if let Some(call) = calls(&fx).first() {
                let purpose = call.purpose.clone();
                state.update(Msg::Answer { purpose, answer: answer(200), now: 0.0, random: 0.0 });
                return Some(second);
            }
        }
        None
    }

    #[test]
    fn quiet_polls_slow_down_a_reply_resets_them_and_a_hidden_tab_waits() {
        let mut state = started(vec![ticket("t1")], false);
        assert_eq!(seconds_to_poll(&mut state, false, false), Some(1), "a first poll at once");
        let closed: Vec<Option<u32>> = (0..4).map(|_| seconds_to_poll(&mut state, false, false)).collect();
        assert_eq!(closed, [Some(60), Some(120), Some(240), Some(300)], "a closed panel backs off");
        // The panel opens: at once (a poke), then every 10 s.
        state.update(Msg::Changed(heard(Screen::Elsewhere, true, Vec::new(), false)));
        assert_eq!(seconds_to_poll(&mut state, true, false), Some(1));
        assert_eq!(seconds_to_poll(&mut state, true, false), Some(10));
        // A reply: the back-off starts over.
        let tick = |state: &mut State| state.update(Msg::Tick { now: 0.0, hidden: false, online: false });
        let fx = (0..10).map(|_| tick(&mut state)).find(|fx| !calls(fx).is_empty()).unwrap_or_default();
        let purpose = calls(&fx).first().map(|c| c.purpose.clone()).unwrap_or(Purpose::Send);
        assert_eq!(purpose, Purpose::Poll("tok-t1".into()));
        let news = Answer { thread: Some(thread(1, Status::Open)), ..answer(200) };
        let fx = state.update(Msg::Answer { purpose, answer: news, now: 0.0, random: 0.0 });
        assert!(fx.contains(&Effect::Post(Post::Received("REF-t1".into()))), "the host hears of the reply");
        assert_eq!(seconds_to_poll(&mut state, false, false), Some(30), "closed again: 30 s, the back-off reset");
        // A hidden tab does not poll; showing it again pokes a poll at once.
        assert_eq!(seconds_to_poll(&mut state, false, true), None);
        state.update(Msg::Visibility);
        assert_eq!(seconds_to_poll(&mut state, false, false), Some(1));
    }

    #[test]
    fn a_closed_ticket_is_not_polled() {
        let mut state = started(vec![Mine { status: Some(Status::Closed), ..ticket("t1") }], false);
        let fx = state.update(Msg::Tick { now: 0.0, hidden: false, online: false });
        assert!(calls(&fx).is_empty());
    }

    #[test]
    fn a_site_with_turnstile_waits_for_a_token_and_uses_it_once() {
        let outbox = [pending_ticket("k1")];
        let mut state = started(Vec::new(), true);
        state.update(Msg::Tick { now: 0.0, hidden: false, online: true });
        let fx = state.update(Msg::Outbox { items: outbox.to_vec(), turnstile: true, pass: None });
        assert!(calls(&fx).is_empty(), "no token yet: wait");
        state.update(Msg::Tick { now: 500.0, hidden: false, online: true });
        let fx = state.update(Msg::Outbox { items: outbox.to_vec(), turnstile: true, pass: Some("tt".into()) });
        assert!(calls(&fx)[0].headers.contains(&(TURNSTILE_HEADER, "tt".into())));
        let fx = answered(&mut state, answer(0), 500.0);
        assert!(fx.contains(&Effect::TurnstileUsed), "single-use");
    }

    #[test]
    fn drafts_are_stored_as_typed_deleted_once_empty_and_never_while_a_reply_waits() {
        let mut state = started(vec![ticket("t1")], false);
        let fx = state.update(Msg::Changed(heard(Screen::Thread("t1".into()), true, Vec::new(), false)));
        assert!(fx.contains(&Effect::FillBoxes("t1".into())), "the thread's drafts come back");
        let fx = state.update(Msg::Typed(Typed::Reply { text: "Still".into(), outbox: Vec::new() }));
        assert_eq!(fx, [Effect::Write(Write::ReplyDraft("t1".into(), Some("Still".into())))]);
        let fx = state.update(Msg::Typed(Typed::Reply { text: "  ".into(), outbox: Vec::new() }));
        assert_eq!(fx, [Effect::Write(Write::ReplyDraft("t1".into(), None))]);
        let fx = state.update(Msg::Typed(Typed::Reply { text: "More".into(), outbox: vec![pending_reply("r1", "t1")] }));
        assert!(fx.is_empty(), "a reply on its way keeps its text in the outbox");
        let fx = state.update(Msg::Reply("Thanks".into(), "r2".into(), String::new()));
        assert!(fx.iter().any(|e| matches!(e, Effect::Write(Write::Reply { key, about, .. }) if key == "r2" && about == "t1")));
        assert!(fx.contains(&Effect::Write(Write::ReplyDraft("t1".into(), None))), "queued: its draft goes");
        let fx = state.update(Msg::Reply(" ".into(), "r3".into(), String::new()));
        assert!(matches!(fx.as_slice(), [Effect::Error(Line::Reply, Some(_))]), "an empty reply is refused");
        let fx = state.update(Msg::Reply(" ".into(), "r4".into(), "f1".into()));
        let queued = fx.iter().find_map(|e| match e {
            Effect::Write(Write::Reply { key, text, files, .. }) => Some((key.as_str(), text.as_str(), files.clone())),
            _ => None,
        });
        assert_eq!(queued, Some(("r4", "", "f1".to_owned())), "a file alone is a reply, and it waits for that file");
    }

    fn control(name: &str, kind: &str, value: &str) -> Control {
        Control { name: name.into(), kind: kind.into(), value: value.into() }
    }

    #[test]
    fn the_form_draft_fills_empty_fields_only_and_goes_once_sent() {
        let form = vec![control("name", "text", "Host"), control("message", "textarea", ""), control("website", "text", "")];
        let draft = vec![("name".into(), "Ada".into()), ("message".into(), "It fails".into()), ("website".into(), "x".into())];
        let mut state = State::default();
        let fx = state.update(Msg::Start { heard: Heard::default(), form, draft });
        assert_eq!(
            fx.first(),
            Some(&Effect::FillForm(vec![("message".into(), "It fails".into())])),
            "not the honeypot, not a filled field"
        );
        let fx = state.update(Msg::Typed(Typed::Form(vec![control("name", "text", "Ada"), control("type", "select-one", "bug")])));
        assert_eq!(fx, [Effect::Write(Write::FormDraft(Some(vec![("name".into(), "Ada".into()), ("type".into(), "bug".into())])))]);
        let sending = Heard { signal: Signal { form: Form::Sending, ..Signal::default() }, ..Heard::default() };
        let fx = state.update(Msg::Changed(sending));
        assert!(fx.contains(&Effect::Write(Write::FormDraft(None))), "queued: the outbox holds the text");
        assert!(state.update(Msg::Typed(Typed::Form(vec![control("name", "text", "Ada L")]))).is_empty());
    }

    #[test]
    fn a_ticket_refused_for_good_keeps_its_form_as_a_draft_again() {
        let sending = Heard { signal: Signal { form: Form::Sending, ..Signal::default() }, sends: true, ..Heard::default() };
        let mut state = State::default();
        state.update(Msg::Start { heard: sending, form: Vec::new(), draft: Vec::new() });
        flush(&mut state, 0.0, &[pending_ticket("k1")]);
        state.update(Msg::Answer { purpose: Purpose::Send, answer: answer(422), now: 0.0, random: 0.0 });
        let fx = state.update(Msg::Reported(Form::Editing, vec![control("message", "textarea", "It fails")]));
        assert!(fx.contains(&Effect::Write(Write::FormDraft(Some(vec![("message".into(), "It fails".into())])))));
        assert!(fx.contains(&Effect::Write(Write::Unqueue("k1".into()))));
    }

    #[test]
    fn a_thread_shown_marks_its_replies_seen_and_offers_what_its_status_allows() {
        let mut mine = ticket("t1");
        mine.update(thread(2, Status::Solved));
        let mut state = started(vec![mine], false);
        assert_eq!(state.mine[0].unread(), 2);
        let fx = state.update(Msg::Changed(heard(Screen::Thread("t1".into()), true, Vec::new(), false)));
        assert!(fx.contains(&Effect::Draw));
        let shown = match state.drawing() {
            Drawing { shown: Shown::Thread { can_reply, ask_rating, .. }, unread, .. } => Some((can_reply, ask_rating, unread)),
            _ => None,
        };
        assert_eq!(shown, Some((true, true, 0)), "solved: reply and rate; seen now");
        assert!(fx.iter().any(|e| matches!(e, Effect::Write(Write::Ticket(m, _)) if m.seen == 2)), "seen is stored");
        assert!(fx.contains(&Effect::Post(Post::Unread(0))));
    }

    #[test]
    fn a_rating_needs_a_choice_and_once_taken_is_announced() {
        let mut state = started(vec![ticket("t1")], false);
        state.update(Msg::Changed(heard(Screen::Thread("t1".into()), true, Vec::new(), false)));
        assert_eq!(state.update(Msg::Rate(None, String::new())), [Effect::Error(Line::Rate, Some(MessageId::ChooseRating))]);
        let fx = state.update(Msg::Rate(Some(true), "Quick".into()));
        assert_eq!(calls(&fx)[0].body, Some(Body::Rating { comment: "Quick".into(), satisfied: true }));
        let already = Answer { failure: Failure::Problem { code: "already_rated".into(), errors: Vec::new() }, ..answer(409) };
        let fx = state.update(Msg::Answer { purpose: Purpose::Rate("tok-t1".into()), answer: already, now: 0.0, random: 0.0 });
        assert!(fx.contains(&Effect::Post(Post::Rated("REF-t1".into()))));
        assert!(fx.contains(&Effect::Write(Write::CommentDraft("t1".into(), None))));
        assert!(state.mine[0].rated);
    }
}
