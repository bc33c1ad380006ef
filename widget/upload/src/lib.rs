//! Buoy's upload module: the files a requester attaches, loaded by the
//! panel at the first file offered (the attach button, a drop, a paste;
//! `buoy_widget_core::protocol::offer`), or by the inbox when files wait
//! from before a reload or a thread shows some. The panel's first open
//! and the inbox module carry none of this.
//!
//! [`state`] decides; this file carries it out: each file is kept in the
//! panel's IndexedDB from the moment it is chosen (so a reload or the
//! network going away loses nothing), uploaded with XHR (for its
//! progress) to `/v1/uploads` with its own `Idempotency-Key`, drawn in
//! its form with a thumbnail, its size, its progress or its error, and a
//! remove button. A message queued in the outbox names its files; once
//! they are uploaded their upload ids go into its body, and the inbox
//! sends it. A thread's files are drawn here too, and opened with the
//! requester's token: an image larger in the panel, anything else as a
//! download.
#![deny(missing_docs)]

pub mod state;

use buoy_shared::inbox::{draft_key, Draft};
use buoy_shared::messages::{fill, MessageId};
use buoy_widget_core::dom::{announce, element, focus, spawn, text_element, Listener};
use buoy_widget_core::page::{field_of, lang, page, page_json, random_key, read_catalog, t};
use buoy_widget_core::protocol::{self, Module, Screen};
use buoy_widget_core::store::{self, Pending};
use js_sys::{Array, Object, Promise, Reflect, JSON};
use state::{File, Files, Phase};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Document, Element, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode, XmlHttpRequest};

/// The panel's IndexedDB database and its one object store: a record per
/// file, `{k: local key, s: site, t: tray, n: name, f: the file, u: upload id}`.
const DB: &str = "buoy-files";
const STORE: &str = "f";

/// An upload on its way, with what must live as long as it does.
struct InFlight {
    key: String,
    xhr: XmlHttpRequest,
    _progress: Closure<dyn FnMut(web_sys::ProgressEvent)>,
    _done: Closure<dyn FnMut()>,
}

struct Upload {
    site: String,
    root: Element,
    doc: Document,
    files: RefCell<Files>,
    /// Each file's bytes (a `File` is a `Blob`) and, for an image, its
    /// thumbnail's `blob:` URL.
    blobs: RefCell<Vec<(String, Blob, Option<String>)>>,
    db: RefCell<Option<IdbDatabase>>,
    sending: RefCell<Option<InFlight>>,
    /// The last drawing, so a tick redraws only what changed.
    drawn: RefCell<Option<(Vec<File>, String)>>,
    /// The thread showing: its id, how many messages the inbox drew, and
    /// each one's files (`u32::MAX` messages while it is being read).
    thread: RefCell<Option<(String, u32, Vec<Array>)>>,
}

/// Waits for an IndexedDB request; its result.
async fn done(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request.result()
}

async fn open_db() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window().ok_or(JsValue::NULL)?.indexed_db()?.ok_or(JsValue::NULL)?;
    let request = factory.open_with_u32(DB, 1)?;
    let opening = request.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Some(db) = opening.result().ok().and_then(|db| db.dyn_into::<IdbDatabase>().ok()) {
            let params = web_sys::IdbObjectStoreParameters::new();
            params.set_key_path(&"k".into());
            let _ = db.create_object_store_with_optional_parameters(STORE, &params);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = done(&request).await?;
    drop(upgrade);
    db.dyn_into()
}

impl Upload {
    fn store(&self) -> Option<IdbObjectStore> {
        let db = self.db.borrow();
        db.as_ref()?.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite).ok()?.object_store(STORE).ok()
    }

    /// Keeps a file (and its upload id, once known) in IndexedDB, opened
    /// at the first file (nothing is stored before).
    fn keep(self: &Rc<Self>, file: &File) {
        if self.db.borrow().is_none() {
            let (up, file) = (Rc::clone(self), file.clone());
            return spawn(async move {
                if let Ok(db) = open_db().await {
                    *up.db.borrow_mut() = Some(db);
                    up.put(&file);
                }
            });
        }
        self.put(file);
    }

    fn put(&self, file: &File) {
        let blob = self.blobs.borrow().iter().find(|(k, ..)| *k == file.key).map(|(_, blob, _)| blob.clone());
        let (Some(store), Some(blob)) = (self.store(), blob) else { return };
        let upload = match &file.phase {
            Phase::Done(id) => Some(id.as_str()),
            _ => None,
        };
        let record = buoy_widget_core::net::object(&[
            ("k", Some(&file.key)),
            ("s", Some(&self.site)),
            ("t", Some(&file.tray)),
            ("n", Some(&file.name)),
            ("u", upload),
        ]);
        let _ = Reflect::set(&record, &"f".into(), &blob);
        let _ = store.put(&record);
        if let Some(storage) = store::storage() {
            // Says files wait: the inbox module loads this one after a reload.
            let _ = storage.set_item(&draft_key(&self.site, Draft::Files), "1");
            let _ = storage.set_item(&store::marker(&self.site), "1");
        }
    }

    /// Forgets a file: its record, its bytes, its thumbnail.
    fn forget(&self, key: &str) {
        self.files.borrow_mut().remove(key);
        if let Some(store) = self.store() {
            let _ = store.delete(&key.into());
        }
        self.blobs.borrow_mut().retain(|(k, _, url)| {
            if k == key {
                if let Some(url) = url {
                    let _ = web_sys::Url::revoke_object_url(url);
                }
            }
            k != key
        });
        if self.files.borrow().files.is_empty() {
            store::remove(&self.site, &draft_key(&self.site, Draft::Files));
        }
    }

    /// Takes a file as chosen, dropped or pasted into a form's tray.
    fn add(&self, tray: &str, file: &web_sys::File, upload: Option<String>, key: Option<String>) -> File {
        let image = file.type_().starts_with("image/");
        let key = key.unwrap_or_else(random_key);
        let thumbnail = if image { web_sys::Url::create_object_url_with_blob(file).ok() } else { None };
        self.blobs.borrow_mut().push((key.clone(), file.clone().into(), thumbnail));
        let added = File::new(key, tray.into(), file.name(), file.size(), image, upload);
        self.files.borrow_mut().add(added.clone());
        added
    }

    /// The tray of the form an element is in, for the thread showing.
    fn tray_of(&self, el: &Element) -> String {
        let reply = el.closest("#buoy-reply-form").ok().flatten().is_some();
        match protocol::heard(&self.root).screen {
            Screen::Thread(id) if reply => Files::tray(Some(&id)),
            _ => Files::tray(None),
        }
    }

    /// Files offered to the form of this file input: each is kept, drawn,
    /// and uploaded.
    fn take(self: &Rc<Self>, input: &web_sys::HtmlInputElement, list: &web_sys::FileList) {
        let tray = self.tray_of(input);
        {
            for file in (0..list.length()).filter_map(|i| list.get(i)) {
                let added = self.add(&tray, &file, None, None);
                self.keep(&added);
                let said = match &added.phase {
                    Phase::Refused(why) => [added.name.as_str(), t(*why)].join(": "),
                    _ => [added.name.as_str(), &size(added.size)].join(", "),
                };
                announce(&self.doc, &said);
            }
        }
        // Taken: the same file may be chosen again.
        input.set_value("");
        self.pump();
    }

    /// The forms' file inputs, with their forms.
    fn inputs(&self) -> Vec<(web_sys::HtmlInputElement, Element)> {
        ["buoy-form", "buoy-reply-form"]
            .iter()
            .filter_map(|id| self.doc.get_element_by_id(id))
            .filter_map(|form| Some((protocol::file_input(&form)?, form)))
            .collect()
    }

    /// Everything due: messages whose files are in get their upload ids
    /// (and the inbox sends them), the next upload starts, the forms show
    /// what changed.
    fn pump(self: &Rc<Self>) {
        self.claim();
        let waiting: Vec<Pending> = store::outbox(&self.site).into_iter().filter(|p| !p.files.is_empty()).collect();
        let named: Vec<(String, Vec<String>)> =
            waiting.iter().map(|p| (p.key.clone(), p.files.split(' ').filter(|k| !k.is_empty()).map(String::from).collect())).collect();
        let ready = self.files.borrow_mut().settle(&named);
        for ready in ready {
            let Some(p) = waiting.iter().find(|p| p.key == ready.key) else { continue };
            let body = JSON::parse(&p.body).unwrap_or_else(|_| Object::new().into());
            let ids: Array = ready.uploads.iter().map(|id| JsValue::from_str(id)).collect();
            let _ = Reflect::set(&body, &"attachments".into(), &ids);
            let Some(body) = JSON::stringify(&body).ok().and_then(|b| b.as_string()) else { continue };
            store::queue(&self.site, &Pending { body, files: String::new(), ..p.clone() });
            for key in &ready.files {
                self.forget(key);
            }
        }
        self.upload_next();
        self.draw();
    }

    /// A new ticket the form just queued takes the form's files: the
    /// panel queues it (without them) and signals that it is sending.
    fn claim(&self) {
        if protocol::heard(&self.root).form != protocol::Form::Sending {
            return;
        }
        let Some(form) = self.doc.get_element_by_id("buoy-form") else { return };
        let files = protocol::tray(&form);
        let newest = store::outbox(&self.site).into_iter().rfind(|p| p.token.is_none());
        if let Some(p) = newest.filter(|p| p.files.is_empty() && !files.is_empty() && !p.body.contains("\"attachments\"")) {
            store::queue(&self.site, &Pending { files, ..p });
        }
    }

    /// Starts the next upload, if one is due and none is on its way.
    fn upload_next(self: &Rc<Self>) {
        if self.sending.borrow().is_some() {
            return;
        }
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        let next = self.files.borrow_mut().next_upload(js_sys::Date::now(), online).map(|f| (f.key.clone(), f.name.clone()));
        let Some((key, name)) = next else { return };
        let blob = self.blobs.borrow().iter().find(|(k, ..)| *k == key).map(|(_, blob, _)| blob.clone());
        let Some(blob) = blob else { return self.forget(&key) };
        if self.send(&key, &name, &blob).is_err() {
            self.files.borrow_mut().answered(&key, state::Answer::default(), js_sys::Date::now(), js_sys::Math::random());
        }
    }

    fn send(self: &Rc<Self>, key: &str, name: &str, blob: &Blob) -> Result<(), JsValue> {
        let xhr = XmlHttpRequest::new()?;
        let mut url = String::from("/v1/uploads?site=");
        url.push_str(&String::from(js_sys::encode_uri_component(&self.site)));
        xhr.open_with_async("POST", &url, true)?;
        xhr.set_request_header("Buoy-File-Name", &String::from(js_sys::encode_uri_component(name)))?;
        xhr.set_request_header("Idempotency-Key", key)?;
        if !blob.type_().is_empty() {
            xhr.set_request_header("Content-Type", &blob.type_())?;
        }
        let (weak, progress_key) = (Rc::downgrade(self), key.to_owned());
        let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            let Some(up) = weak.upgrade() else { return };
            up.files.borrow_mut().progress(&progress_key, event.loaded(), event.total());
            if let Some(bar) = up.doc.get_element_by_id(&progress_id(&progress_key)) {
                bar.unchecked_into::<web_sys::HtmlProgressElement>().set_value(event.loaded());
            }
        });
        let weak = Rc::downgrade(self);
        // The answer is read after this callback returns: reading it drops
        // the callbacks, which must not happen while one runs.
        let finished = Closure::<dyn FnMut()>::new(move || {
            let weak = weak.clone();
            spawn(async move {
                if let Some(up) = weak.upgrade() {
                    up.answered();
                }
            });
        });
        xhr.upload()?.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        xhr.set_onloadend(Some(finished.as_ref().unchecked_ref()));
        xhr.send_with_opt_blob(Some(blob))?;
        *self.sending.borrow_mut() = Some(InFlight { key: key.to_owned(), xhr, _progress: progress, _done: finished });
        Ok(())
    }

    /// The API answered the upload on its way (or nothing did).
    fn answered(self: &Rc<Self>) {
        let Some(flight) = self.sending.borrow_mut().take() else { return };
        let xhr = &flight.xhr;
        let status = xhr.status().unwrap_or(0);
        let body = xhr.response_text().ok().flatten().and_then(|text| JSON::parse(&text).ok()).unwrap_or(JsValue::NULL);
        let errors = Reflect::get(&body, &"errors".into()).ok().and_then(|e| e.dyn_into::<Array>().ok());
        let code = errors.and_then(|e| field_of(&e.get(0), "code")).or_else(|| field_of(&body, "code")).unwrap_or_default();
        let retry_after = xhr.get_response_header("Retry-After").ok().flatten().and_then(|s| s.trim().parse().ok());
        let (now, random) = (js_sys::Date::now(), js_sys::Math::random());
        let answer = state::Answer { status, upload: field_of(&body, "upload"), code, retry_after };
        self.files.borrow_mut().answered(&flight.key, answer, now, random);
        let file = self.files.borrow().files.iter().find(|f| f.key == flight.key).cloned();
        match file.map(|f| (f.phase.clone(), f)) {
            Some((Phase::Done(_), file)) => self.keep(&file),
            Some((Phase::Refused(why), file)) => announce(&self.doc, &[file.name.as_str(), t(why)].join(": ")),
            _ => {}
        }
        self.pump();
    }

    /// Draws each form's files (only when something changed).
    fn draw(&self) {
        let thread = match protocol::heard(&self.root).screen {
            Screen::Thread(id) => id,
            _ => String::new(),
        };
        let now = (self.files.borrow().files.clone(), thread.clone());
        if self.drawn.borrow().as_ref() == Some(&now) {
            return;
        }
        for (form, tray) in [("buoy-form", Files::tray(None)), ("buoy-reply-form", Files::tray(Some(&thread)))] {
            let Some(form) = self.doc.get_element_by_id(form) else { continue };
            let Ok(Some(attach)) = form.query_selector(".attach") else { continue };
            let list = match attach.query_selector(".files") {
                Ok(Some(list)) => list,
                _ => {
                    let Ok(list) = element(&self.doc, "ul", &[("class", "files")], Some(&attach)) else { continue };
                    list
                }
            };
            let _ = self.draw_tray(&form, &list, &tray);
        }
        *self.drawn.borrow_mut() = Some(now);
    }

    fn draw_tray(&self, form: &Element, list: &Element, tray: &str) -> Result<(), JsValue> {
        // Focus on a remove button comes back to the same file's, or to the attach button.
        let focused = self.doc.active_element().and_then(|a| a.get_attribute("data-remove"));
        let files = self.files.borrow();
        list.set_text_content(None);
        for file in files.shown(tray) {
            let li = element(&self.doc, "li", &[], Some(list))?;
            if let Some(url) = self.blobs.borrow().iter().find(|(k, ..)| *k == file.key).and_then(|(.., url)| url.clone()) {
                element(&self.doc, "img", &[("src", &url), ("alt", ""), ("class", "thumb")], Some(&li))?;
            }
            let about = element(&self.doc, "span", &[("class", "about")], Some(&li))?;
            text_element(&self.doc, "span", &[("class", "name")], &file.name, Some(&about))?;
            text_element(&self.doc, "span", &[("class", "hint")], &size(file.size), Some(&about))?;
            let error_id = ["buoy-fe-", &file.key].concat();
            let mut remove = vec![("type", "button"), ("class", "remove"), ("data-remove", file.key.as_str())];
            let label = fill(t(MessageId::RemoveFile), "name", &file.name);
            remove.push(("aria-label", &label));
            match &file.phase {
                Phase::Queued | Phase::Uploading(..) => {
                    let (sent, total) = match file.phase {
                        Phase::Uploading(sent, total) => (sent, total),
                        _ => (0.0, file.size),
                    };
                    // Labelled by the file's name, beside it.
                    let id = progress_id(&file.key);
                    let bar: web_sys::HtmlProgressElement =
                        element(&self.doc, "progress", &[("id", &id), ("aria-label", &file.name)], Some(&about))?.unchecked_into();
                    bar.set_max(total.max(1.0));
                    bar.set_value(sent);
                }
                Phase::Waiting(_, why) => {
                    text_element(&self.doc, "span", &[("class", "hint"), ("id", &error_id)], t(*why), Some(&about))?;
                    remove.push(("aria-describedby", &error_id));
                }
                Phase::Refused(why) => {
                    text_element(&self.doc, "span", &[("class", "error"), ("id", &error_id)], t(*why), Some(&about))?;
                    remove.push(("aria-describedby", &error_id));
                }
                Phase::Done(_) => {}
            }
            text_element(&self.doc, "button", &remove, "×", Some(&li))?;
        }
        let keys: Vec<String> = files.in_tray(tray).map(|f| f.key.clone()).collect();
        protocol::set_tray(form, &keys);
        if let Some(key) = focused {
            let again = list.query_selector(&["[data-remove=\"", &key, "\"]"].concat()).ok().flatten();
            if let Some(el) = again.or_else(|| form.query_selector("[data-act=attach]").ok().flatten()) {
                focus(&el);
            }
        }
        Ok(())
    }

    /// Draws the files of the thread showing under its messages, as the
    /// inbox draws them: the requester's first message, then each
    /// message in order. The thread's files are read once per new message
    /// (the inbox redraws the thread as it polls).
    fn draw_thread_files(self: &Rc<Self>) {
        let Screen::Thread(ticket) = protocol::heard(&self.root).screen else { return };
        let Ok(drawn) = self.doc.query_selector_all("#buoy-msgs > li") else { return };
        let count = drawn.length();
        let known =
            self.thread.borrow().as_ref().filter(|(id, messages, _)| *id == ticket && *messages == count).map(|(.., files)| files.clone());
        let Some(files) = known else {
            if self.thread.borrow().as_ref().is_some_and(|(id, messages, _)| *id == ticket && *messages == u32::MAX) {
                return; // Being read.
            }
            *self.thread.borrow_mut() = Some((ticket.clone(), u32::MAX, Vec::new()));
            let up = Rc::clone(self);
            return spawn(async move {
                let files = up.read_thread(&ticket).await.unwrap_or_default();
                *up.thread.borrow_mut() = Some((ticket, count, files));
                up.draw_thread_files();
            });
        };
        for (i, message) in files.iter().enumerate() {
            let Some(li) = drawn.item(i as u32).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
            if message.length() == 0 || li.query_selector(".files").ok().flatten().is_some() {
                continue;
            }
            let _ = self.draw_files(&li, message);
        }
    }

    /// The files of a thread, message by message (the first message's,
    /// then each later one's), from the API with the requester's token.
    async fn read_thread(&self, ticket: &str) -> Option<Vec<Array>> {
        let mine = store::load(&self.site).into_iter().find(|m| m.id == ticket)?;
        let url = ["/v1/tickets/", ticket].concat();
        let (status, view) = buoy_widget_core::net::call("GET", &url, &[("Buoy-Requester-Token", &mine.token)], None).await.ok()?;
        if status != 200 {
            return None;
        }
        let files_of =
            |value: &JsValue| Reflect::get(value, &"attachments".into()).ok().and_then(|a| a.dyn_into::<Array>().ok()).unwrap_or_default();
        let messages = Reflect::get(&view, &"messages".into()).ok().and_then(|m| m.dyn_into::<Array>().ok()).unwrap_or_default();
        Some(std::iter::once(files_of(&view)).chain(messages.iter().map(|m| files_of(&m))).collect())
    }

    /// One message's files: a button each (name and size) that opens it.
    fn draw_files(&self, message: &Element, files: &Array) -> Result<(), JsValue> {
        let list = element(&self.doc, "ul", &[("class", "files")], Some(message))?;
        for file in files.iter() {
            let s = |key| field_of(&file, key).unwrap_or_default();
            let bytes = Reflect::get(&file, &"size".into()).ok().and_then(|n| n.as_f64()).unwrap_or(0.0);
            let image = is_image(&s("kind"));
            let li = element(&self.doc, "li", &[], Some(&list))?;
            let attrs = [
                ("type", "button"),
                ("class", "file"),
                ("data-file", &s("id")),
                ("data-name", &s("name")),
                ("data-image", if image { "1" } else { "" }),
            ];
            let button = text_element(&self.doc, "button", &attrs, &s("name"), Some(&li))?;
            text_element(&self.doc, "span", &[("class", "hint")], &size(bytes), Some(&button))?;
        }
        Ok(())
    }

    /// Opens a thread's file with the requester's token: an image larger,
    /// in the panel; anything else as a download.
    async fn open(self: Rc<Self>, button: Element) -> Result<(), JsValue> {
        let Screen::Thread(ticket) = protocol::heard(&self.root).screen else { return Ok(()) };
        let Some(mine) = store::load(&self.site).into_iter().find(|m| m.id == ticket) else { return Ok(()) };
        let (file, name) = (button.get_attribute("data-file").unwrap_or_default(), button.get_attribute("data-name").unwrap_or_default());
        let url = ["/v1/tickets/", &ticket, "/files/", &file].concat();
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new()?;
        headers.set("Buoy-Requester-Token", &mine.token)?;
        init.set_headers(&headers);
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await?.dyn_into()?;
        if !response.ok() {
            announce(&self.doc, t(MessageId::ErrNetwork));
            return Ok(());
        }
        let blob: Blob = JsFuture::from(response.blob()?).await?.dyn_into()?;
        let href = web_sys::Url::create_object_url_with_blob(&blob)?;
        if button.get_attribute("data-image").as_deref() == Some("1") {
            self.show_image(&button, &href, &name)?;
        } else {
            let link = element(
                &self.doc,
                "a",
                &[("href", &href), ("download", &name), ("hidden", "")],
                self.doc.body().as_ref().map(|b| b.as_ref()),
            )?;
            link.unchecked_ref::<web_sys::HtmlElement>().click();
            link.remove();
            // Revoked once the download has the bytes.
            let later = Closure::once_into_js(move || {
                let _ = web_sys::Url::revoke_object_url(&href);
            });
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 60_000);
        }
        Ok(())
    }

    /// Shows an image larger below its button, with a close button that
    /// gives focus back.
    fn show_image(&self, button: &Element, href: &str, name: &str) -> Result<(), JsValue> {
        let Some(li) = button.parent_element() else { return Ok(()) };
        if let Ok(Some(open)) = li.query_selector("figure") {
            open.remove();
        }
        let figure = element(&self.doc, "figure", &[("class", "viewer")], Some(&li))?;
        element(&self.doc, "img", &[("src", href), ("alt", name)], Some(&figure))?;
        let close = text_element(
            &self.doc,
            "button",
            &[("type", "button"), ("class", "secondary"), ("data-close", href)],
            t(MessageId::Close),
            Some(&figure),
        )?;
        focus(&close);
        Ok(())
    }

    fn clicked(self: &Rc<Self>, event: &web_sys::Event) {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        if let Some(button) = target.closest("[data-act=attach]").ok().flatten() {
            // The attach button opens its form's file input.
            if let Some(input) = button.parent_element().and_then(|attach| protocol::file_input(&attach)) {
                input.click();
            }
        } else if let Some(button) = target.closest("[data-remove]").ok().flatten() {
            let key = button.get_attribute("data-remove").unwrap_or_default();
            let in_flight = self.sending.borrow().as_ref().filter(|f| f.key == key).map(|f| f.xhr.clone());
            if let Some(xhr) = in_flight {
                let _ = xhr.abort();
            }
            self.forget(&key);
            self.pump();
        } else if let Some(close) = target.closest("[data-close]").ok().flatten() {
            let _ = web_sys::Url::revoke_object_url(&close.get_attribute("data-close").unwrap_or_default());
            let opener = close.closest("li").ok().flatten().and_then(|li| li.query_selector("[data-file]").ok().flatten());
            if let Some(figure) = close.parent_element() {
                figure.remove();
            }
            if let Some(opener) = opener {
                focus(&opener);
            }
        } else if let Some(button) = target.closest("[data-file]").ok().flatten() {
            let up = Rc::clone(self);
            spawn(async move {
                let doc = up.doc.clone();
                if up.open(button).await.is_err() {
                    announce(&doc, t(MessageId::ErrNetwork));
                }
            });
        }
    }

    /// The files kept from before a reload, for this site.
    async fn restore(self: &Rc<Self>) -> Result<(), JsValue> {
        let kept = store::storage().and_then(|s| s.get_item(&draft_key(&self.site, Draft::Files)).ok().flatten());
        if kept.is_none() {
            return Ok(());
        }
        let db = open_db().await?;
        *self.db.borrow_mut() = Some(db);
        let Some(store) = self.store() else { return Ok(()) };
        let records: Array = done(&store.get_all()?).await?.dyn_into()?;
        for record in records.iter() {
            if field_of(&record, "s").as_deref() != Some(&self.site) {
                continue;
            }
            let (Some(key), Some(tray), Ok(file)) = (
                field_of(&record, "k"),
                field_of(&record, "t"),
                Reflect::get(&record, &"f".into()).and_then(|f| f.dyn_into::<web_sys::File>()),
            ) else {
                continue;
            };
            self.add(&tray, &file, field_of(&record, "u"), Some(key));
        }
        Ok(())
    }
}

/// The files an event offers to a form with this file input: a drop's
/// or a paste's (the event's default prevented), or those chosen in the
/// input; none when there are none.
fn offered(event: &web_sys::Event, input: &web_sys::HtmlInputElement) -> Option<web_sys::FileList> {
    let held = match event.dyn_ref::<web_sys::DragEvent>() {
        Some(drag) => drag.data_transfer(),
        None => event.dyn_ref::<web_sys::ClipboardEvent>().and_then(web_sys::ClipboardEvent::clipboard_data),
    };
    let files = held.as_ref().map_or_else(|| input.files(), web_sys::DataTransfer::files).filter(|f| f.length() > 0)?;
    if held.is_some() {
        event.prevent_default();
    }
    Some(files)
}

/// Whether a file of this kind (the API's `kind`) opens as an image.
fn is_image(kind: &str) -> bool {
    matches!(kind, "png" | "jpeg" | "gif" | "webp")
}

fn progress_id(key: &str) -> String {
    ["buoy-fp-", key].concat()
}

/// A size in the panel's language (`1.2 MB`, `340 kB`), decimal like the limits.
fn size(bytes: f64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1e6 => (b / 1e6, "megabyte"),
        b if b >= 1e3 => (b / 1e3, "kilobyte"),
        b => (b, "byte"),
    };
    let options = Object::new();
    for (key, val) in [("style", "unit"), ("unit", unit)] {
        let _ = Reflect::set(&options, &key.into(), &val.into());
    }
    let _ = Reflect::set(&options, &"maximumFractionDigits".into(), &1.into());
    // The page's language; the browser's own where the page names none.
    let tag = lang();
    let locales = if tag.is_empty() { Array::new() } else { Array::of1(&tag.into()) };
    let format = js_sys::Intl::NumberFormat::new(&locales, &options).format();
    format.call1(&JsValue::UNDEFINED, &value.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// The running module: what must live as long as the page.
struct Running {
    _up: Rc<Upload>,
    _listeners: Vec<Listener>,
    _observer: (web_sys::MutationObserver, Closure<dyn FnMut()>),
}

thread_local! {
    static UPLOAD: RefCell<Option<Running>> = const { RefCell::new(None) };
}

fn on(
    up: &Rc<Upload>,
    target: &web_sys::EventTarget,
    kind: &'static str,
    f: fn(&Rc<Upload>, &web_sys::Event),
) -> Result<Listener, JsValue> {
    let weak = Rc::downgrade(up);
    Listener::new(target, kind, move |event| {
        if let Some(up) = weak.upgrade() {
            f(&up, &event);
        }
    })
}

/// Runs when the upload module loads on the widget page (the panel or
/// the inbox adds it); does nothing on any other page.
///
/// # Errors
/// When the browser refuses an element or a listener.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start_upload() -> Result<(), JsValue> {
    let Some((doc, root, site, _)) = page()? else { return Ok(()) };
    read_catalog(&page_json(&doc).unwrap_or(JsValue::NULL));
    protocol::load_styles(&doc, Module::Upload)?;
    let up = Rc::new(Upload {
        site,
        root: root.clone(),
        doc,
        files: RefCell::default(),
        blobs: RefCell::default(),
        db: RefCell::default(),
        sending: RefCell::default(),
        drawn: RefCell::default(),
        thread: RefCell::default(),
    });
    let mut listeners = vec![
        on(&up, &root, protocol::CHANGE_EVENT, |up, _| {
            up.pump();
            up.draw_thread_files();
        })?,
        on(&up, &root, "click", Upload::clicked)?,
    ];
    if let Some(window) = web_sys::window() {
        listeners.push(on(&up, &window, "online", |up, _| up.pump())?);
    }
    // Files chosen, dropped or pasted into a form (a drag over it may drop).
    for (_, form) in up.inputs() {
        listeners.push(on(&up, &form, "dragover", |_, event| event.prevent_default())?);
        for kind in ["change", "drop", "paste"] {
            listeners.push(on(&up, &form, kind, |up, event| {
                let Some(input) = event.current_target().and_then(|f| protocol::file_input(f.unchecked_ref())) else { return };
                if let Some(files) = offered(event, &input) {
                    event.stop_propagation();
                    up.take(&input, &files);
                }
            })?);
        }
    }
    // The inbox redraws a thread as it polls: its files are drawn before the next paint.
    let weak = Rc::downgrade(&up);
    let redrawn = Closure::<dyn FnMut()>::new(move || {
        if let Some(up) = weak.upgrade() {
            up.draw_thread_files();
        }
    });
    let observer = web_sys::MutationObserver::new(redrawn.as_ref().unchecked_ref())?;
    let options = web_sys::MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    observer.observe_with_options(&root, &options)?;
    up.draw_thread_files();
    UPLOAD.with(|slot| *slot.borrow_mut() = Some(Running { _up: Rc::clone(&up), _listeners: listeners, _observer: (observer, redrawn) }));
    spawn(async move {
        // Without IndexedDB (a browser may refuse it) files still
        // upload; they are only not kept across a reload.
        let _ = up.restore().await;
        // What the panel put into the forms' inputs before this module loaded.
        for (input, _) in up.inputs() {
            if let Some(files) = input.files().filter(|f| f.length() > 0) {
                up.take(&input, &files);
            }
        }
        let weak = Rc::downgrade(&up);
        drop(up);
        loop {
            let Some(up) = weak.upgrade() else { return };
            up.pump();
            drop(up);
            buoy_widget_core::dom::sleep(1000).await;
        }
    });
    Ok(())
}
