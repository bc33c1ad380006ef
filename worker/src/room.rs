//! A ticket's room: the Durable Object that checks collisions and keeps
//! presence (`shared::collision` holds the rules; this is their glue).
//!
//! One room per ticket, named `{site}/{ticket id}`. Workers KV's lists
//! lag writes by up to a minute, so the check "has anyone written since
//! the event this agent saw?" cannot be answered from KV; a Durable
//! Object can: it is one instance per name, anywhere in the world, and
//! it handles its requests one at a time. Its check and the append of
//! the events it allows happen in one synchronous step
//! ([`buoy_shared::collision::Room::claim`]), so two replies sent on the
//! same view cannot both pass. One object per ticket rather than per
//! site: tickets never wait for one another, and each room's state stays
//! a ticket's latest events and the few agents on it.
//!
//! The worker talks to rooms through [`Rooms`]: [`EdgeRooms`] (the
//! `BUOY_ROOMS` binding) at the edge, [`MemoryRooms`] in host tests.

use buoy_shared::collision::{Activity, Presence, Present, Room, Verdict};
use buoy_shared::events::TicketEvent;
use buoy_shared::time::Timestamp;
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;

/// The Durable Object namespace binding of the rooms.
pub const ROOMS_BINDING: &str = "BUOY_ROOMS";

/// A write asking its room to check and record it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claim {
    /// The event the writer saw last (`If-Match`); none: no check.
    pub seen: Option<String>,
    /// Who writes: an agent's name, or `requester`.
    pub me: String,
    /// The ticket's events as a KV list shows them (sent with a check).
    pub listed: Vec<TicketEvent>,
    /// The write's events.
    pub events: Vec<TicketEvent>,
}

/// An agent's beat in a room.
#[derive(Debug, Serialize, Deserialize)]
pub struct Beat {
    /// The agent.
    pub agent: String,
    /// What they do.
    pub activity: Activity,
    /// The time of the request.
    pub now: Timestamp,
}

/// What a beat answers: who else is there, and the latest event the room
/// knows of (a console that has not drawn it reloads the ticket).
#[derive(Debug, Serialize, Deserialize)]
pub struct Seen {
    /// The other agents on the ticket.
    pub present: Vec<Present>,
    /// The room's latest event id.
    pub latest: Option<String>,
}

/// The rooms, by name.
pub trait Rooms {
    /// Checks and records a write in room `name` ([`Room::claim`]).
    fn claim<'a>(&'a self, name: &'a str, claim: &'a Claim) -> LocalBoxFuture<'a, Result<Verdict, String>>;
    /// Records an agent's beat in room `name` ([`Presence::beat`]).
    fn beat<'a>(&'a self, name: &'a str, beat: &'a Beat) -> LocalBoxFuture<'a, Result<Seen, String>>;
    /// Empties room `name`: its stored log (which holds the ticket's
    /// latest events) and who is there (a privacy erase).
    fn clear<'a>(&'a self, name: &'a str) -> LocalBoxFuture<'a, Result<(), String>>;
}

impl core::fmt::Debug for dyn Rooms + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Rooms")
    }
}

/// The room of `ticket` of `site`. Named by site too, so an agent can only
/// ever reach their own site's rooms, without reading the ticket.
pub fn room_name(site: &str, ticket: &str) -> String {
    format!("{site}/{ticket}")
}

/// One room's state: its log, kept in storage, and who is there, kept in
/// memory only (a lost object loses a beat's worth: the next beats refill it).
#[derive(Debug, Default)]
pub struct RoomState {
    room: Room,
    presence: Presence,
}

impl RoomState {
    fn claim(&mut self, claim: &Claim) -> Verdict {
        self.room.claim(claim.seen.as_deref(), &claim.me, &claim.listed, &claim.events)
    }

    fn beat(&mut self, beat: &Beat) -> Seen {
        let present = self.presence.beat(&beat.agent, beat.activity, beat.now);
        Seen { present, latest: self.room.latest().map(str::to_owned) }
    }
}

/// Rooms in memory, for host tests.
#[derive(Debug, Default)]
pub struct MemoryRooms(RefCell<HashMap<String, RoomState>>);

impl Rooms for MemoryRooms {
    fn claim<'a>(&'a self, name: &'a str, claim: &'a Claim) -> LocalBoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move { Ok(self.0.borrow_mut().entry(name.to_owned()).or_default().claim(claim)) })
    }

    fn beat<'a>(&'a self, name: &'a str, beat: &'a Beat) -> LocalBoxFuture<'a, Result<Seen, String>> {
        Box::pin(async move { Ok(self.0.borrow_mut().entry(name.to_owned()).or_default().beat(beat)) })
    }

    fn clear<'a>(&'a self, name: &'a str) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.0.borrow_mut().remove(name);
            Ok(())
        })
    }
}

impl MemoryRooms {
    /// Whether room `name` holds anything.
    pub fn has(&self, name: &str) -> bool {
        self.0.borrow().contains_key(name)
    }
}

/// The rooms of the `BUOY_ROOMS` binding.
#[derive(Debug)]
pub struct EdgeRooms(worker::ObjectNamespace);

impl EdgeRooms {
    /// The rooms bound as [`ROOMS_BINDING`], if the worker has them.
    pub fn bound(env: &worker::Env) -> Option<Self> {
        env.durable_object(ROOMS_BINDING).ok().map(Self)
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, name: &str, path: &str, body: String) -> Result<T, String> {
        let stub = self.0.get_by_name(name).map_err(|e| e.to_string())?;
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post).with_body(Some(body.into()));
        let request = worker::Request::new_with_init(&format!("https://room{path}"), &init).map_err(|e| e.to_string())?;
        let mut response = stub.fetch_with_request(request).await.map_err(|e| e.to_string())?;
        let text = response.text().await.map_err(|e| e.to_string())?;
        if response.status_code() != 200 {
            return Err(format!("room answered {}: {text}", response.status_code()));
        }
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}

impl Rooms for EdgeRooms {
    fn claim<'a>(&'a self, name: &'a str, claim: &'a Claim) -> LocalBoxFuture<'a, Result<Verdict, String>> {
        Box::pin(async move {
            let body = serde_json::to_string(claim).map_err(|e| e.to_string())?;
            self.call::<Verdict>(name, "/claim", body).await
        })
    }

    fn beat<'a>(&'a self, name: &'a str, beat: &'a Beat) -> LocalBoxFuture<'a, Result<Seen, String>> {
        Box::pin(async move {
            let body = serde_json::to_string(beat).map_err(|e| e.to_string())?;
            self.call::<Seen>(name, "/beat", body).await
        })
    }

    fn clear<'a>(&'a self, name: &'a str) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.call::<bool>(name, "/clear", String::new()).await.map(|_| ()) })
    }
}

pub use object::TicketRoom;

/// The class itself; the macro's bindings to the runtime have no docs of their own.
#[allow(missing_docs)]
mod object {
    use super::{Beat, Claim, RoomState, Verdict};
    use buoy_shared::collision::Presence;
    use std::cell::RefCell;

    /// The storage key of a room's log (JSON text: workers-rs would turn a
    /// struct into a JavaScript object field by field).
    const LOG_KEY: &str = "room";

    /// The Durable Object class (`TicketRoom` in `wrangler.toml`).
    #[worker::durable_object(fetch)]
    pub struct TicketRoom {
        state: worker::State,
        room: RefCell<Option<RoomState>>,
    }

    impl worker::DurableObject for TicketRoom {
        fn new(state: worker::State, _env: worker::Env) -> Self {
            Self { state, room: RefCell::new(None) }
        }

        async fn fetch(&self, mut request: worker::Request) -> worker::Result<worker::Response> {
            if self.room.borrow().is_none() {
                // While storage answers, the runtime delivers no other request
                // (its input gate): the first one in loads the log.
                let stored: Option<String> = self.state.storage().get(LOG_KEY).await?;
                let room = stored.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
                let mut slot = self.room.borrow_mut();
                if slot.is_none() {
                    *slot = Some(RoomState { room, presence: Presence::default() });
                }
            }
            let body = request.text().await?;
            let bad = |e: serde_json::Error| worker::Error::RustError(e.to_string());
            match request.path().as_str() {
                "/claim" => {
                    let claim: Claim = serde_json::from_str(&body).map_err(bad)?;
                    // The check and the append in one synchronous step: no
                    // other request runs between them.
                    let (verdict, log) = {
                        let mut slot = self.room.borrow_mut();
                        let state = slot.get_or_insert_with(RoomState::default);
                        let verdict = state.claim(&claim);
                        let log = (verdict == Verdict::Holds && !claim.events.is_empty()).then(|| serde_json::to_string(&state.room));
                        (verdict, log)
                    };
                    if let Some(log) = log {
                        self.state.storage().put(LOG_KEY, log.map_err(bad)?).await?;
                    }
                    worker::Response::from_json(&verdict)
                }
                "/beat" => {
                    let beat: Beat = serde_json::from_str(&body).map_err(bad)?;
                    let seen = self.room.borrow_mut().get_or_insert_with(RoomState::default).beat(&beat);
                    worker::Response::from_json(&seen)
                }
                "/clear" => {
                    // Storage first: the log is what outlives this instance.
                    self.state.storage().delete_all().await?;
                    *self.room.borrow_mut() = Some(RoomState::default());
                    worker::Response::from_json(&true)
                }
                _ => worker::Response::error("not found", 404),
            }
        }
    }

    impl core::fmt::Debug for TicketRoom {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("TicketRoom")
        }
    }
}
