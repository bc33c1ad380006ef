//! Guided fixes: the outcome a requester reports after following a ticket
//! type's playbook steps. "This fixed it" is a deflected ticket; "I still
//! need help" leads to the form. Both are recorded, so deflection can be
//! measured (fixed ÷ started).

use crate::ids::SiteId;
use crate::ticket::{FieldCode, FieldError, TicketType};
use crate::time::Timestamp;
use crate::vocab::{string_enum, Field};
use serde::{Deserialize, Serialize};

string_enum! {
    /// How a guided fix ended.
    Outcome {
        /// "This fixed it".
        Fixed = "fixed",
        /// "I still need help".
        NeedHelp = "need_help",
    }
}

/// An outcome as the widget sends it: untrusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeflection {
    /// The site.
    pub site: String,
    /// The ticket type whose steps were shown.
    #[serde(rename = "type")]
    pub kind: String,
    /// `fixed` or `need_help`.
    pub outcome: String,
}

/// A recorded outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deflection {
    /// The site.
    pub site: SiteId,
    /// The ticket type.
    #[serde(rename = "type")]
    pub kind: TicketType,
    /// How it ended.
    pub outcome: Outcome,
    /// When.
    pub at: Timestamp,
}

impl NewDeflection {
    /// Checks the outcome and stamps it with `now`.
    ///
    /// # Errors
    /// One [`FieldError`] per faulty field.
    pub fn validate(&self, now: Timestamp) -> Result<Deflection, Vec<FieldError>> {
        let site = SiteId::parse(&self.site).map_err(|_| FieldError::new(Field::Site, FieldCode::UnknownSite));
        let kind = TicketType::offered(&self.kind).ok_or(FieldError::new(Field::Type, FieldCode::UnknownType));
        let outcome = Outcome::parse(&self.outcome).ok_or(FieldError::new(Field::Outcome, FieldCode::UnknownValue));
        match (site, kind, outcome) {
            (Ok(site), Ok(kind), Ok(outcome)) => Ok(Deflection { site, kind, outcome, at: now }),
            (site, kind, outcome) => Err([site.err(), kind.err(), outcome.err()].into_iter().flatten().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_checked() {
        let now = Timestamp::from_millis(0);
        let ok = NewDeflection { site: "demo".into(), kind: "password_reset".into(), outcome: "fixed".into() };
        assert_eq!(ok.validate(now).map(|d| (d.kind, d.outcome)), Ok((TicketType::PASSWORD_RESET, Outcome::Fixed)));
        let bad = NewDeflection { site: "Demo!".into(), kind: "refund".into(), outcome: "maybe".into() };
        let fields: Vec<&str> = bad.validate(now).err().unwrap_or_default().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["site", "type", "outcome"]);
        // A well-formed type no site offers, and a malformed one: both unknown.
        for kind in ["data_export", "Data-Export", ""] {
            let refused = NewDeflection { kind: kind.into(), ..ok.clone() }.validate(now).err().unwrap_or_default();
            assert_eq!(refused, [FieldError::new(Field::Type, FieldCode::UnknownType)], "{kind:?}");
        }
    }
}
