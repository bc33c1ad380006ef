//! What Buoy's wasm modules all need. The panel (`buoy-widget-panel`) is
//! the first open; it loads the help module (`buoy-widget-help`: search
//! and articles) at the first search or article, the inbox module
//! (`buoy-widget-inbox`) once the requester has something to keep, and
//! the upload module (`buoy-widget-upload`: attachments) when a form that
//! takes files shows (see [`protocol::Module`]). Separate wasm-bindgen modules cannot share code
//! at run time, so each carries what it uses of this crate.
//!
//! [`page`] reads the widget page (site, host origin, catalog), [`host`]
//! talks to the host page, [`net`] to the API, [`store`] keeps tickets
//! and the outbox, [`dom`] holds listeners that clean up after
//! themselves (and the home screen's article list), and [`protocol`] is
//! the one contract between the panel and the modules it loads.
#![deny(missing_docs)]

pub mod dom;
pub mod host;
pub mod net;
pub mod page;
pub mod protocol;
pub mod store;

// The widget allocates little and briefly; a free list is enough, and
// much smaller than dlmalloc. (The locked variant needs no `unsafe` to
// declare.) Declared once here, for both modules.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
