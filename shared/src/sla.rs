//! Service-level targets and the due times they give a ticket.
//!
//! Targets count in a [`Calendar`]. Only calendar time ([`AlwaysOpen`])
//! exists so far; business calendars (time zone, open hours, holidays)
//! plug in as further implementations of the same trait, so nothing that
//! computes due times has to change when they arrive.

use crate::ticket::{Priority, Segment};
use crate::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

/// Counts working time: forward from an instant, and between two instants.
pub trait Calendar: core::fmt::Debug {
    /// The instant at which `span` of this calendar's working time has
    /// passed since `start`.
    fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp;

    /// The working time between `from` and `to` (zero when `to` is not
    /// after `from`), in whole seconds, rounded down.
    fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration;
}

/// Calendar time: every hour counts, around the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlwaysOpen;

impl Calendar for AlwaysOpen {
    fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp {
        start.plus(span)
    }

    fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
        Duration::from_secs((to.as_millis() - from.as_millis()).max(0) / 1000)
    }
}

/// How long a segment's tickets may wait for each milestone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// From receipt to the first public agent reply.
    pub first_response: Duration,
    /// From receipt to solved.
    pub resolution: Duration,
}

/// The targets for every segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// Enterprise contracts.
    pub enterprise: Targets,
    /// Small and medium businesses.
    pub business: Targets,
    /// Free plan and unverified requesters.
    pub free: Targets,
    /// Lapsed subscribers.
    pub former: Targets,
}

impl Default for SlaPolicy {
    /// The defaults of the support strategy Buoy follows: enterprise 1 h /
    /// 4 h, business 4 h / 24 h, free 24 h / 72 h, former as free.
    fn default() -> Self {
        let targets =
            |first, resolution| Targets { first_response: Duration::from_hours(first), resolution: Duration::from_hours(resolution) };
        Self { enterprise: targets(1, 4), business: targets(4, 24), free: targets(24, 72), former: targets(24, 72) }
    }
}

/// When a ticket's targets fall due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDue {
    /// The first public agent reply is due by then.
    pub first_response: Timestamp,
    /// The ticket should be solved by then.
    pub resolution: Timestamp,
}

impl SlaPolicy {
    /// The targets that apply to a segment.
    pub const fn targets(&self, segment: Segment) -> Targets {
        match segment {
            Segment::Enterprise => self.enterprise,
            Segment::Business => self.business,
            Segment::Free => self.free,
            Segment::Former => self.former,
        }
    }

    /// The due times of a ticket received at `received`.
    ///
    /// Priority does not change the targets yet: per-priority rows of the
    /// policy table are the SLA engine's work, and will arrive through
    /// this function's `priority` parameter.
    pub fn due(&self, segment: Segment, _priority: Priority, received: Timestamp, calendar: &dyn Calendar) -> SlaDue {
        let targets = self.targets(segment);
        SlaDue {
            first_response: calendar.deadline(received, targets.first_response),
            resolution: calendar.deadline(received, targets.resolution),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_targets_follow_the_strategy() {
        let received = Timestamp::parse("2026-11-30T23:30:00Z").unwrap_or_else(|e| unreachable!("{e}"));
        let policy = SlaPolicy::default();
        for (segment, first, resolution) in [
            (Segment::Enterprise, "2026-12-01T00:30:00.000Z", "2026-12-01T03:30:00.000Z"),
            (Segment::Business, "2026-12-01T03:30:00.000Z", "2026-12-01T23:30:00.000Z"),
            (Segment::Free, "2026-12-01T23:30:00.000Z", "2026-12-03T23:30:00.000Z"),
            (Segment::Former, "2026-12-01T23:30:00.000Z", "2026-12-03T23:30:00.000Z"),
        ] {
            let due = policy.due(segment, Priority::Normal, received, &AlwaysOpen);
            assert_eq!(due.first_response.to_string(), first, "{segment}");
            assert_eq!(due.resolution.to_string(), resolution, "{segment}");
        }
    }

    #[test]
    fn a_calendar_decides_how_time_counts() {
        /// A calendar that only counts half of every hour, to show the seam.
        #[derive(Debug)]
        struct HalfTime;
        impl Calendar for HalfTime {
            fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp {
                start.plus(Duration::from_secs(span.as_secs() * 2))
            }
            fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
                Duration::from_secs((to.as_millis() - from.as_millis()) / 2000)
            }
        }
        let received = Timestamp::from_millis(0);
        let due = SlaPolicy::default().due(Segment::Enterprise, Priority::Normal, received, &HalfTime);
        assert_eq!(due.first_response, received.plus(Duration::from_hours(2)));
    }
}
