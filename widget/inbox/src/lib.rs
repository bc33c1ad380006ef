//! The requester's inbox: their tickets on this device, each thread with
//! its reply box and rating, the outbox, drafts, and the polling that
//! brings agents' replies.
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
//!
//! Every decision is [`state::State::update`]'s, tested on the host. This
//! file is the effect layer: it turns the page's events, the storage and
//! the network into [`state::Msg`]s and carries out the
//! [`state::Effect`]s, in order (one an effect causes before the next).
#![deny(missing_docs)]

pub mod answer;
pub mod drafts;
pub mod history;
pub mod state;
pub mod thread;

use buoy_shared::inbox::Draft;
use buoy_widget_core::dom::{announce, focus, set_hidden, Listener};
use buoy_widget_core::host::post_to_host;
use buoy_widget_core::net;
use buoy_widget_core::page::{page, page_json, random_key, read_catalog, t};
use buoy_widget_core::protocol::{self, Module, Report, CHANGE_EVENT};
use buoy_widget_core::store::{self as convo, Pending};
use state::{Body, Call, Drawing, Effect, Heard, Line, Msg, Post, Shown, State, Typed, Write};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
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
    /// The new-ticket form (its drafts).
    form: Element,
}

const IDS: [&str; 15] = [
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
    "buoy-form",
];

/// The inbox on the page: its elements and its state.
struct Inbox {
    site: String,
    host_origin: Option<String>,
    root: Element,
    c: Convo,
    state: RefCell<State>,
    /// The body of the last answer to a send, for the panel's report.
    body: RefCell<JsValue>,
}

impl Inbox {
    /// What the panel and the storage say now.
    fn heard(&self) -> Heard {
        Heard {
            signal: protocol::heard(&self.root),
            told: history::told(&self.root),
            stored: convo::load(&self.site),
            learned: history::learned(&self.site),
            sends: !convo::outbox(&self.site).is_empty(),
        }
    }

    fn update(&self, msg: Msg) -> Vec<Effect> {
        self.state.borrow_mut().update(msg)
    }

    fn line(&self, line: Line) -> &Element {
        match line {
            Line::Reply => &self.c.reply_error,
            Line::Rate => &self.c.rate_error,
        }
    }

    /// Draws the inbox's screens and the unread counts.
    fn draw(&self, drawing: &Drawing) {
        let c = &self.c;
        set_hidden(&c.link, !drawing.any);
        c.unread.set_text_content(Some(&drawing.unread.to_string()));
        set_hidden(&c.unread, drawing.unread == 0);
        let Some(doc) = c.msgs.owner_document() else { return };
        match &drawing.shown {
            Shown::Elsewhere => {}
            Shown::Tickets(tickets) => {
                let _ = thread::draw_list(&doc, &c.list, tickets);
                set_hidden(&c.empty, drawing.any);
            }
            Shown::Thread { ticket, can_reply, ask_rating } => {
                c.title.set_text_content(Some(&ticket.subject));
                c.status.set_text_content(Some(&thread::status_line(ticket, true)));
                match &ticket.view {
                    Some(view) => {
                        let _ = thread::draw_thread(&doc, &c.msgs, &ticket.id, view);
                        // Its files, and the reply's, are the upload module's.
                        protocol::load(&self.root, Module::Upload);
                    }
                    None => c.msgs.set_text_content(Some(t(buoy_shared::messages::MessageId::Loading))),
                }
                set_hidden(&c.reply_form, !can_reply);
                set_hidden(&c.rate, !ask_rating);
                set_hidden(&c.rated, !ticket.rated);
            }
        }
    }

    fn write(&self, write: Write) {
        let site = &self.site;
        match write {
            Write::Ticket(mine, created) => convo::save(site, &mine, created),
            Write::Reply { key, url, about, token, text, files } => {
                let body = net::json_body(&[("body", &text)], None);
                convo::queue(site, &Pending { key, url, body, about, token: Some(token), queued: 0.0, files });
            }
            Write::Unqueue(key) => convo::unqueue(site, &key),
            Write::Forget(id) => convo::forget(site, &id),
            Write::ReplyDraft(id, text) => drafts::write(site, Draft::Reply(&id), text.as_deref()),
            Write::CommentDraft(id, text) => drafts::write(site, Draft::Comment(&id), text.as_deref()),
            Write::FormDraft(fields) => drafts::write_form(site, fields.as_deref()),
            Write::Learned(ids) => history::set_learned(site, &ids),
        }
    }

    /// Carries out one effect that is not a call; returns what the
    /// message it leads to says to do.
    fn act(&self, effect: Effect) -> Vec<Effect> {
        let c = &self.c;
        match effect {
            Effect::Draw => self.draw(&self.state.borrow().drawing()),
            Effect::ClearThread => {
                for el in [&c.title, &c.status, &c.msgs] {
                    el.set_text_content(None);
                }
                for el in [&c.reply_form, &c.rate, &c.rated] {
                    set_hidden(el, true);
                }
            }
            Effect::Post(post) => {
                if let (Post::Received(reference), Some(doc)) = (&post, c.msgs.owner_document()) {
                    let mut said = String::from(t(buoy_shared::messages::MessageId::NewReply));
                    said.push(' ');
                    said.push_str(reference);
                    announce(&doc, &said);
                }
                let (kind, detail) = match &post {
                    Post::Unread(count) => ("unread", ("count", count.to_string())),
                    Post::Received(reference) => ("message:received", ("reference", reference.clone())),
                    Post::Rated(reference) => ("csat:submitted", ("reference", reference.clone())),
                };
                post_to_host(self.host_origin.as_deref(), kind, Some((detail.0, &detail.1)));
            }
            Effect::Write(write) => self.write(write),
            Effect::ReadOutbox => {
                let (turnstile, pass) = (self.root.has_attribute(TURNSTILE_SITE), self.root.get_attribute(TURNSTILE_TOKEN));
                return self.update(Msg::Outbox { items: convo::outbox(&self.site), turnstile, pass });
            }
            Effect::Report { key, status } => {
                // The panel answers at once (and may signal a change).
                let body = self.body.borrow().clone();
                protocol::report(&self.root, &Report { key, status, body });
                return self.update(Msg::Reported(protocol::heard(&self.root).form, drafts::controls(&c.form)));
            }
            Effect::TurnstileUsed => {
                let _ = self.root.remove_attribute(TURNSTILE_TOKEN);
                if let Ok(used) = web_sys::Event::new(TURNSTILE_USED) {
                    let _ = self.root.dispatch_event(&used);
                }
            }
            Effect::Error(line, message) => {
                let line = self.line(line);
                line.set_text_content(message.map(t));
                set_hidden(line, message.is_none());
            }
            Effect::ClearReply => c.reply.set_value(""),
            Effect::FocusRated => focus(&c.rated),
            Effect::FillBoxes(ticket) => {
                c.reply.set_value(&drafts::read(&self.site, Draft::Reply(&ticket)).unwrap_or_default());
                c.comment.set_value(&drafts::read(&self.site, Draft::Comment(&ticket)).unwrap_or_default());
            }
            Effect::FillForm(values) => drafts::fill(&c.form, &values),
            Effect::ResetForm => {
                if let Some(form) = c.form.dyn_ref::<web_sys::HtmlFormElement>() {
                    form.reset();
                }
            }
            Effect::StartTicking => INBOX.with(|slot| {
                if let Some((inbox, _)) = slot.borrow().as_ref() {
                    buoy_widget_core::dom::spawn(tick(Rc::downgrade(inbox)));
                }
            }),
            Effect::Call(_) => {}
        }
        Vec::new()
    }

    /// Makes a call; its answer as a message.
    async fn call(&self, call: Call) -> Msg {
        let headers: Vec<(&str, &str)> = call.headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let body = match call.body {
            Some(Body::Text(text)) => Some(text),
            Some(Body::Rating { comment, satisfied }) => Some(net::json_body(&[("comment", &comment)], Some(("satisfied", satisfied)))),
            Some(Body::History(claim)) => history::request_body(&self.site, &claim),
            None => None,
        };
        let outcome = net::call(call.method, &call.url, &headers, body.as_deref()).await;
        let (answer, body) = answer::parse(outcome);
        *self.body.borrow_mut() = body;
        Msg::Answer { purpose: call.purpose, answer, now: js_sys::Date::now(), random: js_sys::Math::random() }
    }
}

/// Puts effects caused by the one just carried out before the rest.
fn before(todo: &mut VecDeque<Effect>, first: Vec<Effect>) {
    for effect in first.into_iter().rev() {
        todo.push_front(effect);
    }
}

/// Carries out effects in order up to the first call, which it returns
/// (what follows it stays in `todo`).
fn carry_out(inbox: &Inbox, todo: &mut VecDeque<Effect>) -> Option<Call> {
    while let Some(effect) = todo.pop_front() {
        if let Effect::Call(call) = effect {
            return Some(call);
        }
        before(todo, inbox.act(effect));
    }
    None
}

/// Carries out effects, calls included, to the end.
async fn run(inbox: Rc<Inbox>, mut todo: VecDeque<Effect>) {
    while let Some(call) = carry_out(&inbox, &mut todo) {
        let msg = inbox.call(call).await;
        before(&mut todo, inbox.update(msg));
    }
}

/// Takes in what happened: what needs no answer is done at once, the
/// rest in the background.
fn handle(inbox: &Rc<Inbox>, msg: Msg) {
    let mut todo: VecDeque<Effect> = inbox.update(msg).into();
    if let Some(call) = carry_out(inbox, &mut todo) {
        todo.push_front(Effect::Call(call));
        buoy_widget_core::dom::spawn(run(Rc::clone(inbox), todo));
    }
}

/// Waits `ms` milliseconds.
/// Ticks every second (a change, such as the panel opening or the tab
/// showing, is acted on within one); what a tick starts (the outbox's
/// sends, a poll) ends before the next.
async fn tick(weak: std::rc::Weak<Inbox>) {
    loop {
        buoy_widget_core::dom::sleep(1000).await;
        let Some(inbox) = weak.upgrade() else { return };
        let window = web_sys::window();
        let hidden = window.as_ref().and_then(web_sys::Window::document).is_some_and(|d| d.hidden());
        let online = window.is_none_or(|w| w.navigator().on_line());
        let todo = inbox.update(Msg::Tick { now: js_sys::Date::now(), hidden, online }).into();
        run(inbox, todo).await;
    }
}

fn on(
    inbox: &Rc<Inbox>,
    target: &web_sys::EventTarget,
    kind: &'static str,
    f: fn(&Inbox, web_sys::Event) -> Option<Msg>,
) -> Result<Listener, JsValue> {
    let weak = Rc::downgrade(inbox);
    Listener::new(target, kind, move |event| {
        if let Some(inbox) = weak.upgrade() {
            if let Some(msg) = f(&inbox, event) {
                handle(&inbox, msg);
            }
        }
    })
}

/// What the requester typed into, as a message.
fn typed(inbox: &Inbox, event: &web_sys::Event) -> Option<Msg> {
    let target = event.target()?.dyn_into::<Element>().ok()?;
    let c = &inbox.c;
    let typed = if target == **c.reply {
        Typed::Reply { text: c.reply.value(), outbox: convo::outbox(&inbox.site) }
    } else if target == **c.comment {
        Typed::Comment(c.comment.value())
    } else if c.form.contains(Some(target.as_ref())) {
        Typed::Form(drafts::controls(&c.form))
    } else {
        return None;
    };
    Some(Msg::Typed(typed))
}

type Running = (Rc<Inbox>, Vec<Listener>);

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
    read_catalog(&page_json(&doc).unwrap_or(JsValue::NULL));
    // Its styles come with it: the first open of the panel does without them.
    protocol::load_styles(&doc, Module::Inbox)?;
    let found: Vec<Element> = IDS.iter().filter_map(|id| doc.get_element_by_id(id)).collect();
    let Ok([link, unread, list, empty, title, status, msgs, reply_form, reply, reply_error, rate, comment, rate_error, rated, form]) =
        <[Element; 15]>::try_from(found)
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
        form,
    };
    let inbox = Rc::new(Inbox { site, host_origin, root: root.clone(), c, state: RefCell::default(), body: RefCell::new(JsValue::NULL) });
    let c = &inbox.c;
    let mut listeners = vec![
        on(&inbox, &root, CHANGE_EVENT, |inbox, _| Some(Msg::Changed(inbox.heard())))?,
        on(&inbox, &c.reply_form, "submit", |inbox, event| {
            event.prevent_default();
            Some(Msg::Reply(inbox.c.reply.value(), random_key(), protocol::tray(&inbox.c.reply_form)))
        })?,
        on(&inbox, &c.rate, "submit", |inbox, event| {
            event.prevent_default();
            let c = &inbox.c;
            let choice = c.rate.query_selector("input:checked").ok().flatten().and_then(|e| e.get_attribute("value"));
            Some(Msg::Rate(choice.map(|choice| choice == "1"), c.comment.value()))
        })?,
        on(&inbox, &doc, "visibilitychange", |_, _| Some(Msg::Visibility))?,
        on(&inbox, &root, "input", |inbox, event| typed(inbox, &event))?,
        on(&inbox, &c.form, "reset", |_, _| Some(Msg::FormReset))?,
    ];
    if let Some(window) = web_sys::window() {
        listeners.push(on(&inbox, &window, "online", |_, _| Some(Msg::Online))?);
    }
    INBOX.with(|slot| *slot.borrow_mut() = Some((Rc::clone(&inbox), listeners)));
    // Files chosen before a reload (and the messages waiting for them)
    // are in the upload module's keeping.
    if drafts::read(&inbox.site, Draft::Files).is_some() {
        protocol::load(&root, Module::Upload);
    }
    let (form, draft) = (drafts::controls(&inbox.c.form), drafts::read_form(&inbox.site));
    handle(&inbox, Msg::Start { heard: inbox.heard(), form, draft });
    Ok(())
}
