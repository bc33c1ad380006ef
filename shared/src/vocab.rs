//! The vocabulary every other module speaks: who a requester is
//! ([`Segment`]), how urgent a ticket is ([`Priority`]), where it is in its
//! life ([`Status`]) and the names of the form's fields ([`Field`]), with
//! `string_enum!`, the macro that gives each of them (and the other
//! modules' closed lists: webhook event types, guided-fix outcomes) its
//! stable wire names.
//!
//! Also the shape of host context and custom field values ([`Pairs`],
//! the context's limits), which `ticket`, `identity` and `fields` share.
//!
//! A leaf: it imports no other module of this crate, so `ticket`, `sla`
//! and `identity` can all use it without importing one another back.

/// An enum whose every value has one stable wire name: `ALL`, `as_str`,
/// `parse`, `Display`, and serde through the same names.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable wire name, as used in JSON and `buoy.toml`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value whose wire name is `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// Who the requester is to the business; it selects the SLA targets.
    /// Trusted only from a verified identity: anonymous requesters are `free`.
    Segment {
        /// Enterprise contract.
        Enterprise = "enterprise",
        /// Small and medium business plan.
        Business = "business",
        /// Free plan, and every unverified requester.
        Free = "free",
        /// A lapsed subscriber, reported apart in CSAT.
        Former = "former",
    }
}

string_enum! {
    /// How soon a ticket needs attention.
    Priority {
        /// Something is broken for many, or money is at stake.
        Urgent = "urgent",
        /// Blocks the requester's work.
        High = "high",
        /// The default.
        Normal = "normal",
        /// A question that can wait.
        Low = "low",
    }
}

string_enum! {
    /// Where a ticket is in its life.
    Status {
        /// Submitted, nobody has looked yet.
        New = "new",
        /// An agent is working on it.
        Open = "open",
        /// Waiting on the requester; the SLA clock pauses.
        Pending = "pending",
        /// Waiting on a third party.
        OnHold = "on_hold",
        /// Answered; the requester may still reopen it.
        Solved = "solved",
        /// Final.
        Closed = "closed",
    }
}

impl Status {
    /// Whether the ticket still needs an agent (everything before solved).
    pub const fn is_open(self) -> bool {
        !matches!(self, Self::Solved | Self::Closed)
    }
}

string_enum! {
    /// A field of the ticket form (and of the other bodies the widget and
    /// the console send), as named in validation errors: its wire name is
    /// the field's name in the JSON body.
    Field {
        /// `site`
        Site = "site",
        /// `name`
        Name = "name",
        /// `email`
        Email = "email",
        /// `type`
        Type = "type",
        /// `subject`
        Subject = "subject",
        /// `message`
        Message = "message",
        /// `context.url`
        ContextUrl = "context.url",
        /// `context.title`, `context.locale`, `context.time_zone` or `context.user_agent`
        Context = "context",
        /// `outcome` (of a guided fix)
        Outcome = "outcome",
        /// `tier` (of a change)
        Tier = "tier",
        /// `assignee` (of a change)
        Assignee = "assignee",
        /// `tags` (of a change)
        Tags = "tags",
        /// `body` (of a message)
        Body = "body",
        /// `comment` (of a satisfaction rating)
        Comment = "comment",
        /// `fields`, a site's custom fields (an error names one: `fields.plan`)
        Fields = "fields",
        /// `context.reported`, the host page's context (an error names a key:
        /// `context.reported.app_version`)
        Reported = "context.reported",
        /// `sites` (of an agent record)
        Sites = "sites",
    }
}

string_enum! {
    /// What an agent may do: each role may do what the one before it may
    /// (what each may: `crate::agents`).
    #[derive(Default)]
    Role {
        /// Works the queues of their sites (the default).
        #[default]
        Agent = "agent",
        /// Also edits canned replies and sees every agent's metrics.
        Lead = "lead",
        /// Also manages agents and roles, reads the audit trail, and
        /// rebuilds the search indexes.
        Admin = "admin",
    }
}

/// The most keys of host context a ticket carries.
pub const MAX_CONTEXT_KEYS: usize = 20;
/// The longest host context key, in bytes (`[a-z0-9_]`).
pub const MAX_CONTEXT_KEY: usize = 32;
/// The longest host context value, in characters.
pub const MAX_CONTEXT_VALUE: usize = 200;

/// Whether `key` is a host context key: 1 to [`MAX_CONTEXT_KEY`] bytes of `[a-z0-9_]`.
pub fn is_key(key: &str) -> bool {
    (1..=MAX_CONTEXT_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Text values by key, each key once: a ticket's custom field values and
/// host context. A JSON object on the wire and in storage; a short list
/// in memory (at most a few dozen keys), so the widget carries no map code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// No pairs.
    #[inline]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`, replacing what it held (in its place) or
    /// adding it last.
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The same pairs ordered by key: how they are stored and compared
    /// after reading or checking, whatever order they came in.
    pub fn sorted(mut self) -> Self {
        self.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self
    }
}

impl IntoIterator for Pairs {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(String, String)> for Pairs {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut out = Self::new();
        pairs.into_iter().for_each(|(k, v)| out.insert(k, v));
        out.sorted()
    }
}

impl ::serde::Serialize for Pairs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// A JSON object, read ordered by key; a key given twice keeps its last
/// value (as a map would).
impl<'de> ::serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an object of text values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut out = Pairs::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.insert(k, v);
                }
                Ok(out.sorted())
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's wire name reads back as that value, and no two values
    /// share one.
    fn round_trips<T: Copy + PartialEq + core::fmt::Debug>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>) {
        for &value in all {
            assert_eq!(parse(as_str(value)), Some(value), "{}", as_str(value));
        }
        let mut names: Vec<&str> = all.iter().map(|&v| as_str(v)).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "a wire name is used twice");
    }

    #[test]
    fn every_wire_name_reads_back_as_its_value() {
        round_trips(Segment::ALL, Segment::as_str, Segment::parse);
        round_trips(Priority::ALL, Priority::as_str, Priority::parse);
        round_trips(Status::ALL, Status::as_str, Status::parse);
        round_trips(Field::ALL, Field::as_str, Field::parse);
        assert_eq!(Field::ALL.len(), 17);
        assert_eq!(Field::parse("context.url"), Some(Field::ContextUrl));
        assert_eq!(Priority::parse("Urgent"), None, "wire names are case-sensitive");
    }

    #[test]
    fn json_uses_the_wire_names() {
        assert_eq!(serde_json::to_string(&Status::OnHold).ok().as_deref(), Some("\"on_hold\""));
        assert_eq!(serde_json::from_str::<Segment>("\"former\"").ok(), Some(Segment::Former));
        assert!(serde_json::from_str::<Priority>("\"asap\"").is_err());
        assert_eq!(Field::ContextUrl.to_string(), "context.url");
    }
}
