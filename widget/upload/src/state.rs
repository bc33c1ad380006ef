//! The files chosen for messages, and every decision about them: which
//! form's message each goes with, when it uploads and tries again, what a
//! refusal says, and when a queued message has all its upload ids. Pure,
//! tested on the host; `lib.rs` carries the decisions out (XHR,
//! IndexedDB, the DOM).

use buoy_shared::inbox;
use buoy_shared::messages::{self, MessageId};

/// How many files one message may carry (the API's default limit; it
/// refuses more, so the panel never sends them).
pub const MAX_FILES: usize = buoy_shared::attach::DEFAULT_MAX_FILES as usize;

/// Where a file is in its upload.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Not started yet.
    Queued,
    /// On its way: bytes sent so far, of how many.
    Uploading(f64, f64),
    /// No answer, a 5xx or a 429: kept, tried again at this time (ms);
    /// what the requester is told (the network, or too many uploads).
    Waiting(f64, MessageId),
    /// Taken: its upload id.
    Done(String),
    /// Refused for good: why. It is never sent; the requester removes it.
    Refused(MessageId),
}

/// One file chosen for a message.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Its local key: the IndexedDB record's key and the upload's
    /// idempotency key, so a retry never stores it twice.
    pub key: String,
    /// The tray it belongs to ([`Files::tray`]'s name).
    pub tray: String,
    /// Its name, as chosen.
    pub name: String,
    /// Its size in bytes.
    pub size: f64,
    /// Whether it shows as a thumbnail (the browser says it is an image).
    pub image: bool,
    /// Where its upload is.
    pub phase: Phase,
    /// The outbox key of the message it went with, once sent (it leaves
    /// its form then).
    pub sent_with: Option<String>,
    failures: u32,
}

/// A queued message whose files are all settled: its upload ids, in order
/// (a file refused meanwhile is left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    /// The message's outbox key.
    pub key: String,
    /// The upload ids to attach.
    pub uploads: Vec<String>,
    /// The local keys of its files, to forget.
    pub files: Vec<String>,
}

/// The API's answer to an upload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// Its status; 0 when no answer came.
    pub status: u16,
    /// The upload id it gave.
    pub upload: Option<String>,
    /// Its (first) field error's code, or its problem code.
    pub code: String,
    /// Its `Retry-After`, in seconds.
    pub retry_after: Option<u32>,
}

/// Every file chosen on this device and not yet sent with a message.
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// Oldest first.
    pub files: Vec<File>,
}

impl File {
    /// A file as chosen (or as kept in IndexedDB: with its upload id once it has one).
    pub fn new(key: String, tray: String, name: String, size: f64, image: bool, upload: Option<String>) -> Self {
        let phase = upload.map_or(Phase::Queued, Phase::Done);
        Self { key, tray, name, size, image, phase, sent_with: None, failures: 0 }
    }
}

impl Files {
    /// The tray of the ticket form (`new`), or of the reply box of a
    /// ticket (`reply:{id}`).
    pub fn tray(ticket: Option<&str>) -> String {
        match ticket {
            None => "new".into(),
            Some(id) => ["reply:", id].concat(),
        }
    }

    /// Adds a file to a form's tray. Past [`MAX_FILES`] it is kept with
    /// its error, so the requester sees which one, and never uploads.
    pub fn add(&mut self, mut file: File) {
        if self.in_tray(&file.tray).count() >= MAX_FILES {
            file.phase = Phase::Refused(MessageId::ErrTooManyFiles);
        }
        self.files.push(file);
    }

    /// Takes a file off (before its message is sent): it is forgotten.
    pub fn remove(&mut self, key: &str) -> Option<File> {
        let at = self.files.iter().position(|f| f.key == key)?;
        Some(self.files.remove(at))
    }

    /// The files a form's message will carry: those in its tray, not sent
    /// with a message, not refused.
    pub fn in_tray<'a>(&'a self, tray: &'a str) -> impl Iterator<Item = &'a File> + 'a {
        self.shown(tray).filter(|f| !matches!(f.phase, Phase::Refused(_)))
    }

    /// What a form shows: its tray's files not yet sent, refused ones too.
    pub fn shown<'a>(&'a self, tray: &'a str) -> impl Iterator<Item = &'a File> + 'a {
        self.files.iter().filter(move |f| f.tray == tray && f.sent_with.is_none())
    }

    /// The next file to upload at `now`, marked as on its way; one at a
    /// time, so each shows its own progress and the connection is not shared.
    pub fn next_upload(&mut self, now: f64, online: bool) -> Option<&File> {
        if self.files.iter().any(|f| matches!(f.phase, Phase::Uploading(..))) {
            return None;
        }
        let due = |f: &File| match f.phase {
            Phase::Queued => true,
            Phase::Waiting(at, _) => online && now >= at,
            _ => false,
        };
        let file = self.files.iter_mut().find(|f| due(f))?;
        file.phase = Phase::Uploading(0.0, file.size);
        Some(file)
    }

    /// Progress of an upload on its way.
    pub fn progress(&mut self, key: &str, sent: f64, total: f64) {
        if let Some(file) = self.files.iter_mut().find(|f| f.key == key && matches!(f.phase, Phase::Uploading(..))) {
            file.phase = Phase::Uploading(sent, total);
        }
    }

    /// The API's answer to an upload; `random` (0–1) jitters the next try. No answer, a 5xx or a 429 keep the file
    /// and try again later (at least `Retry-After`); another refusal is
    /// final and says why.
    pub fn answered(&mut self, key: &str, answer: Answer, now: f64, random: f64) {
        let Answer { status, upload, code, retry_after } = answer;
        let Some(file) = self.files.iter_mut().find(|f| f.key == key) else { return };
        file.phase = match (status, upload) {
            (200..=299, Some(id)) => Phase::Done(id),
            (status, _) if inbox::should_retry(status) => {
                file.failures += 1;
                let wait = f64::from(inbox::retry_delay(file.failures, retry_after, random));
                let why = if status == 429 { MessageId::ErrRateLimited } else { MessageId::ErrNetwork };
                Phase::Waiting(now + wait, why)
            }
            (status, _) => Phase::Refused(messages::upload_refusal(status, &code)),
        };
    }

    /// Matches the outbox's messages (key, local keys of their files) with
    /// the files: each named file leaves its form, and a message whose
    /// files are all uploaded (or refused) is ready, its upload ids in
    /// order. A file the outbox names but this device no longer keeps is
    /// left out.
    pub fn settle(&mut self, outbox: &[(String, Vec<String>)]) -> Vec<Ready> {
        let mut ready = Vec::new();
        for (message, keys) in outbox.iter().filter(|(_, keys)| !keys.is_empty()) {
            let mut uploads = Vec::new();
            let mut settled = true;
            for file in self.files.iter_mut().filter(|f| keys.contains(&f.key)) {
                file.sent_with = Some(message.clone());
                match &file.phase {
                    Phase::Done(id) => uploads.push(id.clone()),
                    Phase::Refused(_) => {}
                    _ => settled = false,
                }
            }
            if settled {
                ready.push(Ready { key: message.clone(), uploads, files: keys.clone() });
            }
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, upload: Option<String>, code: &str, retry_after: Option<u32>) -> Answer {
        Answer { status, upload, code: code.into(), retry_after }
    }

    fn file(key: &str, tray: &str) -> File {
        File::new(key.into(), tray.into(), format!("{key}.png"), 1000.0, true, None)
    }

    fn keys<'a>(files: impl Iterator<Item = &'a File>) -> Vec<&'a str> {
        files.map(|f| f.key.as_str()).collect()
    }

    #[test]
    fn the_ticket_form_and_each_reply_box_have_their_own_tray() {
        assert_eq!(Files::tray(None), "new");
        assert_ne!(Files::tray(Some("a")), Files::tray(Some("b")));
        let mut files = Files::default();
        files.add(file("f1", &Files::tray(None)));
        files.add(file("f2", &Files::tray(Some("a"))));
        assert_eq!(keys(files.in_tray(&Files::tray(None))), ["f1"]);
        assert_eq!(keys(files.in_tray(&Files::tray(Some("a")))), ["f2"]);
    }

    #[test]
    fn a_sixth_file_shows_its_error_and_never_uploads_while_the_five_stay() {
        let mut files = Files::default();
        for n in 1..=6 {
            files.add(file(&format!("f{n}"), "new"));
        }
        assert_eq!(files.in_tray("new").count(), MAX_FILES);
        assert_eq!(files.shown("new").count(), 6, "shown, with its error");
        assert_eq!(files.files[5].phase, Phase::Refused(MessageId::ErrTooManyFiles));
        let mut uploaded = Vec::new();
        while let Some(next) = files.next_upload(0.0, true) {
            let key = next.key.clone();
            files.answered(&key, answer(201, Some(format!("up_{key}")), "", None), 0.0, 0.5);
            uploaded.push(key);
        }
        assert_eq!(uploaded, ["f1", "f2", "f3", "f4", "f5"]);
        files.remove("f1");
        files.add(file("f7", "new"));
        assert_eq!(files.files.last().map(|f| &f.phase), Some(&Phase::Queued), "room again once one is removed");
    }

    #[test]
    fn one_upload_at_a_time_with_its_progress() {
        let mut files = Files::default();
        files.add(file("f1", "new"));
        files.add(file("f2", "new"));
        assert_eq!(files.next_upload(0.0, true).map(|f| f.key.clone()), Some("f1".into()));
        assert!(files.next_upload(0.0, true).is_none(), "f1 is on its way");
        files.progress("f1", 400.0, 1000.0);
        assert_eq!(files.files[0].phase, Phase::Uploading(400.0, 1000.0));
        files.answered("f1", answer(201, Some("up_1".into()), "", None), 0.0, 0.5);
        assert_eq!(files.next_upload(0.0, true).map(|f| f.key.clone()), Some("f2".into()));
    }

    #[test]
    fn offline_or_a_server_error_keeps_the_file_and_tries_again_later_a_429_after_its_retry_after() {
        let mut files = Files::default();
        files.add(file("f1", "new"));
        files.next_upload(0.0, false);
        files.answered("f1", answer(0, None, "", None), 1_000.0, 0.5);
        assert_eq!(files.files[0].phase, Phase::Waiting(2_000.0, MessageId::ErrNetwork));
        assert!(files.next_upload(1_500.0, true).is_none(), "not before its time");
        assert!(files.next_upload(2_000.0, false).is_none(), "not while offline");
        assert!(files.next_upload(2_000.0, true).is_some());
        files.answered("f1", answer(429, None, "rate_limited", Some(30)), 2_000.0, 0.5);
        assert_eq!(files.files[0].phase, Phase::Waiting(32_000.0, MessageId::ErrRateLimited), "Retry-After wins");
        files.next_upload(32_000.0, true);
        files.answered("f1", answer(503, None, "", None), 32_000.0, 0.5);
        assert!(matches!(files.files[0].phase, Phase::Waiting(_, MessageId::ErrNetwork)));
    }

    #[test]
    fn a_refusal_says_why_on_that_file_and_keeps_the_others() {
        for (status, code, why) in [
            (415, "unsupported_type", MessageId::ErrFileType),
            (413, "file_too_large", MessageId::ErrFileTooLarge),
            (422, "empty_file", MessageId::ErrFileEmpty),
            (422, "invalid_name", MessageId::ErrFileName),
        ] {
            let mut files = Files::default();
            files.add(file("bad", "new"));
            files.add(file("good", "new"));
            files.next_upload(0.0, true);
            files.answered("bad", answer(status, None, code, None), 0.0, 0.5);
            assert_eq!(files.files[0].phase, Phase::Refused(why), "{status} {code}");
            assert_eq!(keys(files.in_tray("new")), ["good"], "the refused one is not sent");
            assert_eq!(files.shown("new").count(), 2, "but still shown, with its error");
        }
    }

    #[test]
    fn a_queued_message_is_ready_once_its_files_are_uploaded_and_they_leave_the_form() {
        let mut files = Files::default();
        for key in ["f1", "f2", "f3"] {
            files.add(file(key, "new"));
        }
        files.next_upload(0.0, true);
        files.answered("f1", answer(201, Some("up_1".into()), "", None), 0.0, 0.5);
        let outbox = [("m1".to_owned(), vec!["f1".to_owned(), "f2".to_owned()]), ("m0".to_owned(), Vec::new())];
        assert!(files.settle(&outbox).is_empty(), "f2 is not in yet");
        assert_eq!(keys(files.shown("new")), ["f3"], "sent files leave the form; f3 stays for the next message");
        files.next_upload(0.0, true);
        files.answered("f2", answer(200, Some("up_2".into()), "", None), 0.0, 0.5);
        let ready = files.settle(&outbox);
        assert_eq!(ready, [Ready { key: "m1".into(), uploads: vec!["up_1".into(), "up_2".into()], files: vec!["f1".into(), "f2".into()] }]);
    }

    #[test]
    fn a_file_refused_after_its_message_was_sent_is_left_out_and_the_message_goes() {
        let mut files = Files::default();
        files.add(file("f1", "new"));
        files.add(file("f2", "new"));
        let outbox = [("m1".to_owned(), vec!["f1".to_owned(), "f2".to_owned(), "gone".to_owned()])];
        files.settle(&outbox);
        files.next_upload(0.0, true);
        files.answered("f1", answer(415, None, "", None), 0.0, 0.5);
        files.next_upload(0.0, true);
        files.answered("f2", answer(201, Some("up_2".into()), "", None), 0.0, 0.5);
        assert_eq!(files.settle(&outbox)[0].uploads, ["up_2"]);
    }

    #[test]
    fn a_file_kept_across_a_reload_with_its_upload_id_does_not_upload_again() {
        let mut files = Files::default();
        files.add(File::new("f1".into(), "new".into(), "a.pdf".into(), 10.0, false, Some("up_1".into())));
        assert!(files.next_upload(0.0, true).is_none());
        assert_eq!(files.settle(&[("m1".into(), vec!["f1".into()])])[0].uploads, ["up_1"]);
    }
}
