//! The requester's inbox: their tickets on this device, each thread with
//! its reply box and rating, and the polling that brings agents' replies.
//!
//! It is a second wasm module, loaded by the panel only once the
//! requester has something to keep (a ticket, a draft, a signed
//! identity), so a first visit downloads the panel alone. The two share
//! the page: the panel owns the screens (which one shows, the back
//! button, focus) and tells the inbox through
//! `buoy_widget_core::protocol` (a `Signal`, and the host's identity, see
//! [`history`]); the inbox fills the tickets and thread screens and the
//! home screen's "Your tickets" link, and reports on the tickets the
//! panel's form queued.
#![deny(missing_docs)]

pub mod drafts;
pub mod history;
pub mod thread;

use buoy_shared::inbox;
use buoy_shared::messages::{self, MessageId};
use buoy_shared::ticket::{Status, REQUESTER_TOKEN_HEADER, TURNSTILE_HEADER};
use buoy_widget_core::dom::{focus, set_hidden, Listener};
use buoy_widget_core::host::post_to_host;
use buoy_widget_core::net::{self, Failure};
use buoy_widget_core::page::{field_of, page, random_key, read_catalog, t};
use buoy_widget_core::protocol::{self, Report, Screen, CHANGE_EVENT};
use buoy_widget_core::store::{self as convo, Mine};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlTextAreaElement};

/// On the root when the site asks for a Turnstile check (`turnstile.js`).
const TURNSTILE_SITE: &str = "data-turnstile-site";
/// On the root: the check's current token, until a send uses it.
const TURNSTILE_TOKEN: &str = "data-turnstile";
/// Tells `turnstile.js` that its token was used: reset for a new one.
const TURNSTILE_USED: &str = "buoy:turnstile-used";

/// The inbox's elements in the panel's markup.
struct Convo {
    link: Element,
    unread: Element,
    list: Element,
    empty: Element,
    title: Element,
    status: Element,
    msgs: Element,
    reply_form: Element,
    reply: HtmlTextAreaElement,
    reply_error: Element,
    rate: Element,
    comment: HtmlTextAreaElement,
    rate_error: Element,
    rated: Element,
}

const IDS: [&str; 14] = [
    "buoy-mine-link",
    "buoy-unread",
    "buoy-mine",
    "buoy-mine-empty",
    "buoy-thread-title",
    "buoy-thread-status",
    "buoy-msgs",
    "buoy-reply-form",
    "buoy-reply",
    "buoy-reply-error",
    "buoy-rate",
    "buoy-comment",
    "buoy-rate-error",
    "buoy-rated",
];

struct Inbox {
    site: String,
    host_origin: Option<String>,
    root: Element,
    c: Convo,
    mine: Vec<Mine>,
    /// The screen showing.
    screen: Screen,
    /// Whether the host shows the panel.
    open: bool,
    /// Polls in a row that found nothing new (the back-off).
    quiet: u32,
    /// Poll at the next tick, whatever the back-off says.
    poke: bool,
    polling: bool,
    /// Sends that failed in a row (the outbox's back-off), and when to try
    /// again (ms since the epoch).
    failures: u32,
    send_at: f64,
}

impl Inbox {
    fn post(&self, kind: &str, detail: Option<(&str, &str)>) {
        post_to_host(self.host_origin.as_deref(), kind, detail);
    }

    /// Takes in what the panel says: the screen, the panel's visibility,
    /// and tickets stored since (kept with what the inbox knows of them).
    fn sync(&mut self) {
        let signal = protocol::heard(&self.root);
        if signal.screen != self.screen || (signal.open && !self.open) {
            self.poke = true;
        }
        (self.screen, self.open) = (signal.screen, signal.open);
        // Something new to send (or the requester pressed send again): now.
        self.send_at = 0.0;
        for stored in convo::load(&self.site) {
            if !self.mine.iter().any(|m| m.id == stored.id) {
                self.mine.push(stored);
            }
        }
        self.draw();
    }

    /// Draws whichever of the inbox's screens shows, and the unread counts.
    fn draw(&mut self) {
        match self.screen {
            Screen::Tickets => self.draw_list(),
            Screen::Thread(_) => self.draw_thread(),
            Screen::Elsewhere | Screen::Article(_) => self.show_unread(),
        }
    }

    /// The home link to the requester's tickets, with the unread count,
    /// and the same count on the host's launcher.
    fn show_unread(&self) {
        let unread: u32 = self.mine.iter().map(Mine::unread).sum();
        set_hidden(&self.c.link, self.mine.is_empty());
        let count = unread.to_string();
        self.c.unread.set_text_content(Some(&count));
        set_hidden(&self.c.unread, unread == 0);
        self.post("unread", Some(("count", &count)));
    }

    fn draw_list(&self) {
        if let Some(doc) = self.c.list.owner_document() {
            let _ = thread::draw_list(&doc, &self.c.list, &self.mine);
        }
        set_hidden(&self.c.empty, !self.mine.is_empty());
        self.show_unread();
    }

    /// The ticket whose thread shows, if any.
    fn open_thread(&self) -> Option<usize> {
        let Screen::Thread(ticket) = &self.screen else { return None };
        self.mine.iter().position(|m| m.id == *ticket)
    }

    /// Draws the thread showing (from the last poll) and marks it seen.
    fn draw_thread(&mut self) {
        let Some(i) = self.open_thread() else { return };
        let Some(doc) = self.c.msgs.owner_document() else { return };
        let mine = &mut self.mine[i];
        let changed = mine.seen != mine.replies;
        mine.seen = mine.replies;
        let c = &self.c;
        c.title.set_text_content(Some(&mine.subject));
        let mut line = String::from(&mine.reference);
        let status = thread::status_text(mine.status);
        if !status.is_empty() {
            line.push_str(" · ");
            line.push_str(status);
        }
        c.status.set_text_content(Some(&line));
        match &mine.view {
            Some(view) => {
                let _ = thread::draw_thread(&doc, &c.msgs, view);
            }
            None => c.msgs.set_text_content(Some(t(MessageId::Loading))),
        }
        let status = mine.status.unwrap_or(Status::New);
        set_hidden(&c.reply_form, !inbox::can_reply(status));
        set_hidden(&c.rate, !inbox::asks_for_rating(status, mine.rated));
        set_hidden(&c.rated, !mine.rated);
        if changed {
            convo::save(&self.site, &self.mine[i], self.mine[i].stored);
        }
        self.show_unread();
    }
}

/// Waits `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn tab_hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
}

/// Asks about the requester's tickets now and then (see
/// `buoy_shared::inbox::poll_delay`): every tick checks whether a poll is
/// due, so a change (the panel opens, the tab shows) is acted on within a
/// second.
fn start_polling(inbox: &Rc<RefCell<Inbox>>) {
    {
        let mut state = inbox.borrow_mut();
        if state.polling || (state.mine.is_empty() && convo::outbox(&state.site).is_empty()) {
            return;
        }
        state.polling = true;
        state.poke = true;
    }
    let weak = Rc::downgrade(inbox);
    buoy_widget_core::dom::spawn(async move {
        let mut waited = 0;
        loop {
            sleep(1000).await;
            waited += 1000;
            let Some(inbox) = weak.upgrade() else { return };
            let (due, send) = {
                let mut state = inbox.borrow_mut();
                let delay = inbox::poll_delay(state.open, tab_hidden(), state.quiet);
                let due = (state.poke && !tab_hidden()) || delay.is_some_and(|d| waited >= d);
                state.poke &= !due;
                (due, js_sys::Date::now() >= state.send_at && online())
            };
            if send {
                flush(&inbox).await;
            }
            if due {
                waited = 0;
                poll(&inbox).await;
            }
        }
    });
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Sends what waits in the outbox, oldest first, each with its
/// idempotency key (so a retry never makes a second ticket or reply). No
/// answer, a 429 or a 5xx: it stays, and the next try waits
/// (`buoy_shared::inbox::retry_delay`, jittered, at least `Retry-After`).
/// A 2xx clears it; another refusal clears it too, and the requester is
/// shown why, their text still in its box.
async fn flush(inbox: &Rc<RefCell<Inbox>>) {
    let site = inbox.borrow().site.clone();
    for p in convo::outbox(&site) {
        let mut headers = vec![("idempotency-key", p.key.as_str())];
        if let Some(token) = &p.token {
            headers.push((REQUESTER_TOKEN_HEADER, token));
        }
        let is_ticket = p.token.is_none();
        // A site with Turnstile: a new ticket goes with a fresh token from
        // the check (`turnstile.js` puts it on the root); none yet, wait.
        let root = inbox.borrow().root.clone();
        let checked = is_ticket && root.has_attribute(TURNSTILE_SITE);
        let pass = if checked { root.get_attribute(TURNSTILE_TOKEN) } else { None };
        if checked && pass.is_none() {
            inbox.borrow_mut().send_at = js_sys::Date::now() + 500.0;
            return;
        }
        if let Some(pass) = &pass {
            headers.push((TURNSTILE_HEADER, pass));
        }
        let outcome = net::call("POST", &p.url, &headers, Some(&p.body)).await;
        if checked {
            // Single-use: whatever the answer, the next send needs a new one.
            let _ = root.remove_attribute(TURNSTILE_TOKEN);
            if let Ok(used) = web_sys::Event::new(TURNSTILE_USED) {
                let _ = root.dispatch_event(&used);
            }
        }
        let (status, body) = match &outcome {
            Ok((status, body)) => (*status, body.clone()),
            Err(_) => (0, JsValue::NULL),
        };
        if is_ticket {
            // Before borrowing: the panel's answer comes back as an event.
            protocol::report(&root, &Report { key: p.key.clone(), status, body: body.clone() });
        }
        let mut state = inbox.borrow_mut();
        if inbox::should_retry(status) {
            state.failures += 1;
            let after = field_of(&body, "retry_after").and_then(|a| a.parse().ok());
            state.send_at = js_sys::Date::now() + f64::from(inbox::retry_delay(state.failures, after, js_sys::Math::random()));
            if !is_ticket {
                show_error(&state.c.reply_error, Some(failure_message(outcome)));
            }
            return;
        }
        state.failures = 0;
        convo::unqueue(&site, &p.key);
        match (is_ticket, (200..300).contains(&status)) {
            (true, true) => {
                let (id, token, reference) = (field_of(&body, "id"), field_of(&body, "requester_token"), field_of(&body, "reference"));
                if let (Some(id), Some(token), Some(reference)) = (id, token, reference) {
                    if !state.mine.iter().any(|m| m.id == id) {
                        let mine = Mine::new(id, token, reference, p.about.clone());
                        convo::remember(&site, &mine);
                        state.mine.push(mine);
                    }
                }
            }
            (false, true) => {
                if let Some(i) = state.mine.iter().position(|m| m.id == p.about) {
                    state.mine[i].update(body);
                }
                if state.open_thread().is_some_and(|i| state.mine[i].id == p.about) {
                    state.c.reply.set_value("");
                    show_error(&state.c.reply_error, None);
                }
            }
            (false, false) => show_error(&state.c.reply_error, Some(failure_message(outcome))),
            (true, false) => {}
        }
        state.draw();
    }
}

/// Reads every live ticket's thread; new agent replies are drawn, counted
/// as unread and announced to the host page (`message:received`).
async fn poll(inbox: &Rc<RefCell<Inbox>>) {
    let asks: Vec<(String, String)> =
        inbox.borrow().mine.iter().filter(|m| inbox::is_live(m.status)).map(|m| (ticket_url(&m.id, ""), m.token.clone())).collect();
    let mut news = false;
    for (url, token) in asks {
        let Ok((200, view)) = net::call("GET", &url, &[(REQUESTER_TOKEN_HEADER, &token)], None).await else { continue };
        let state = inbox.borrow();
        let Some(i) = state.mine.iter().position(|m| m.token == token) else { continue };
        drop(state);
        let mut state = inbox.borrow_mut();
        if state.mine[i].update(view) {
            news = true;
            state.post("message:received", Some(("reference", &state.mine[i].reference)));
        }
    }
    let mut state = inbox.borrow_mut();
    state.quiet = if news { 0 } else { state.quiet.saturating_add(1) };
    state.draw();
}

/// Catches up with what the panel says (screen, visibility, identity) and
/// what is stored, and keeps polling while there is something to poll.
fn changed(inbox: &Rc<RefCell<Inbox>>) {
    inbox.borrow_mut().sync();
    history::sync(inbox);
    start_polling(inbox);
}

/// Puts the requester's reply to the thread showing in the outbox (sent
/// at the next tick); the typed text stays in its box until the API has
/// taken it.
fn queue_reply(inbox: &Rc<RefCell<Inbox>>) {
    let mut state = inbox.borrow_mut();
    let Some(i) = state.open_thread() else { return };
    match buoy_shared::ticket::validate_body(&state.c.reply.value()) {
        Err(e) => show_error(&state.c.reply_error, Some(messages::field_error(e.field, e.code))),
        Ok(body) => {
            let mine = &state.mine[i];
            let pending = convo::Pending {
                key: random_key(),
                url: ticket_url(&mine.id, "/messages"),
                body: net::json_body(&[("body", &body)], None),
                about: mine.id.clone(),
                token: Some(mine.token.clone()),
                queued: 0.0,
            };
            convo::queue(&state.site, &pending);
            show_error(&state.c.reply_error, None);
            state.send_at = 0.0;
        }
    }
}

/// Sends the requester's rating of the thread showing.
fn send_rating(inbox: &Rc<RefCell<Inbox>>) {
    let (url, token, body) = {
        let state = inbox.borrow();
        let Some(i) = state.open_thread() else { return };
        let (c, mine) = (&state.c, &state.mine[i]);
        let choice = c.rate.query_selector("input:checked").ok().flatten().and_then(|e| e.get_attribute("value"));
        let Some(choice) = choice else { return show_error(&c.rate_error, Some(MessageId::ChooseRating)) };
        let body = net::json_body(&[("comment", &c.comment.value())], Some(("satisfied", choice == "1")));
        (ticket_url(&mine.id, "/csat"), mine.token.clone(), body)
    };
    let weak = Rc::downgrade(inbox);
    buoy_widget_core::dom::spawn(async move {
        let outcome = net::call("POST", &url, &[(REQUESTER_TOKEN_HEADER, &token)], Some(&body)).await;
        let Some(inbox) = weak.upgrade() else { return };
        let mut state = inbox.borrow_mut();
        let already = matches!(&outcome, Ok((409, p)) if field_of(p, "code").as_deref() == Some("already_rated"));
        let Some(i) = state.mine.iter().position(|m| m.token == token) else { return };
        match outcome {
            Ok((201, view)) => {
                state.mine[i].update(view);
            }
            _ if already => state.mine[i].rated = true,
            outcome => return show_error(&state.c.rate_error, Some(failure_message(outcome))),
        }
        show_error(&state.c.rate_error, None);
        state.post("csat:submitted", Some(("reference", &state.mine[i].reference)));
        drafts::rated(&state.site, &state.mine[i].id);
        state.draw_thread();
        focus(&state.c.rated);
    });
}

/// The message for a failed call.
fn failure_message(outcome: Result<(u16, JsValue), JsValue>) -> MessageId {
    match net::failure(outcome) {
        Failure::Network => MessageId::ErrNetwork,
        Failure::Problem { code, errors } => match errors.first() {
            Some(e) => messages::field_error(e.field, e.code),
            None => messages::problem(&code),
        },
    }
}

fn ticket_url(id: &str, tail: &str) -> String {
    let mut url = String::from("/v1/tickets/");
    url.push_str(id);
    url.push_str(tail);
    url
}

fn show_error(line: &Element, message: Option<MessageId>) {
    line.set_text_content(message.map(t));
    set_hidden(line, message.is_none());
}

fn on(
    inbox: &Rc<RefCell<Inbox>>,
    target: &web_sys::EventTarget,
    kind: &'static str,
    f: fn(&Rc<RefCell<Inbox>>, web_sys::Event),
) -> Result<Listener, JsValue> {
    let weak: Weak<RefCell<Inbox>> = Rc::downgrade(inbox);
    Listener::new(target, kind, move |event| {
        if let Some(inbox) = weak.upgrade() {
            f(&inbox, event);
        }
    })
}

type Running = (Rc<RefCell<Inbox>>, Vec<Listener>);

thread_local! {
    /// The inbox and its listeners, for the page's life.
    static INBOX: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Runs when the inbox module loads on the widget page (the panel adds
/// it); does nothing on any other page.
///
/// # Errors
/// When the browser refuses an element or a listener.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start_inbox() -> Result<(), JsValue> {
    let Some((doc, root, site, host_origin)) = page()? else { return Ok(()) };
    read_catalog(&doc);
    // Its styles come with it, from beside its script (the build's
    // content-hashed folder): the first open of the panel does without them.
    let script = doc.get_element_by_id("buoy-inbox").and_then(|s| s.get_attribute("src")).unwrap_or_default();
    let mut href = script.strip_suffix("js").unwrap_or_default().to_owned();
    href.push_str("css");
    let sheet = doc.create_element("link")?;
    sheet.set_attribute("rel", "stylesheet")?;
    sheet.set_attribute("href", &href)?;
    if let Some(head) = doc.body() {
        head.append_child(&sheet)?;
    }
    let found: Vec<Element> = IDS.iter().filter_map(|id| doc.get_element_by_id(id)).collect();
    let Ok([link, unread, list, empty, title, status, msgs, reply_form, reply, reply_error, rate, comment, rate_error, rated]) =
        <[Element; 14]>::try_from(found)
    else {
        return Err(JsValue::from_str("the panel's markup is incomplete"));
    };
    let c = Convo {
        link,
        unread,
        list,
        empty,
        title,
        status,
        msgs,
        reply_form,
        reply: reply.unchecked_into(),
        reply_error,
        rate,
        comment: comment.unchecked_into(),
        rate_error,
        rated,
    };
    let inbox = Rc::new(RefCell::new(Inbox {
        site,
        host_origin,
        root: root.clone(),
        c,
        mine: Vec::new(),
        screen: Screen::Elsewhere,
        open: false,
        quiet: 0,
        poke: false,
        polling: false,
        failures: 0,
        send_at: 0.0,
    }));
    let (reply_form, rate) = (inbox.borrow().c.reply_form.clone(), inbox.borrow().c.rate.clone());
    let mut listeners = vec![
        on(&inbox, &root, CHANGE_EVENT, |inbox, _| changed(inbox))?,
        on(&inbox, &reply_form, "submit", |inbox, event| {
            event.prevent_default();
            queue_reply(inbox);
        })?,
        on(&inbox, &rate, "submit", |inbox, event| {
            event.prevent_default();
            send_rating(inbox);
        })?,
        // Back to a hidden tab: ask at once.
        on(&inbox, &doc, "visibilitychange", |inbox, _| inbox.borrow_mut().poke = true)?,
    ];
    if let Some(window) = web_sys::window() {
        // Back online: send what waits at once.
        listeners.push(on(&inbox, &window, "online", |inbox, _| inbox.borrow_mut().send_at = 0.0)?);
    }
    // Drafts (`drafts.rs`): after the inbox's own listeners, so it hears each event first.
    listeners.extend(drafts::start(&doc, &root, &inbox.borrow().site)?);
    changed(&inbox);
    INBOX.with(|slot| *slot.borrow_mut() = Some((inbox, listeners)));
    Ok(())
}
