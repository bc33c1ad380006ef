//! The vocabulary every other module speaks: who a requester is
//! ([`Segment`]), how urgent a ticket is ([`Priority`]), where it is in its
//! life ([`Status`]) and the names of the form's fields ([`Field`]), with
//! `string_enum!`, the macro that gives each of them (and the other
//! modules' closed lists: webhook event types, guided-fix outcomes) its
//! stable wire names.
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
        assert_eq!(Field::ALL.len(), 16);
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
