//! Every rule of Buoy, as pure functions over plain data.
//!
//! `shared` does no IO and reads no clock: the worker and the widget pass
//! "now" in, and store, fetch and draw what these functions decide. Both
//! wasm crates and the build depend on it, so a rule written here holds
//! the same in the browser, at the edge and in `buoy.toml` checks.
//!
//! ```
//! use buoy_shared::ticket::NewTicket;
//! let input = NewTicket { site: "demo".into(), email: "ada@example.com".into(), kind: "bug".into(),
//!     subject: "Export fails".into(), message: "The CSV export stops at 99%.".into(), ..Default::default() };
//! assert!(input.validate().is_ok());
//! ```
#![deny(missing_docs)]

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "calendar")]
pub mod agents;
#[cfg(feature = "calendar")]
pub mod appearance;
pub mod article_link;
pub mod attach;
#[cfg(feature = "server")]
pub mod budget;
#[cfg(feature = "calendar")]
pub mod calendar;
#[cfg(feature = "calendar")]
pub mod canned;
#[cfg(feature = "calendar")]
pub mod collision;
#[cfg(feature = "calendar")]
pub mod config;
pub mod deflection;
#[cfg(feature = "email")]
pub mod email;
#[cfg(feature = "calendar")]
pub mod events;
pub mod fields;
pub mod fragment;
pub mod headers;
pub mod histogram;
pub mod identity;
pub mod ids;
pub mod inbox;
pub mod kb;
#[cfg(feature = "server")]
pub mod keys;
pub mod limits;
pub mod messages;
#[cfg(feature = "calendar")]
pub mod metrics;
pub mod origin;
pub mod panel;
pub mod playbook;
#[cfg(feature = "server")]
pub mod privacy;
pub mod problem;
#[cfg(feature = "calendar")]
pub mod queue;
pub mod routing;
pub mod search;
#[cfg(feature = "calendar")]
pub mod site_types;
pub mod sla;
pub mod suggest;
#[cfg(feature = "server")]
pub mod suggested;
pub mod ticket;
pub mod time;
#[cfg(feature = "server")]
pub mod turnstile;
pub mod vocab;
#[cfg(feature = "server")]
pub mod webhook;
