//! What one invocation of the sweep may spend, by Workers plan.
//!
//! Cloudflare stops an invocation that goes past its plan's limits:
//! - subrequests (`fetch` to the internet): 50 per invocation on the Free
//!   plan, 10,000 on Paid. Each webhook delivery is one, and so is each
//!   mail through the `send_email` binding (Email Service lists the
//!   Worker's subrequest limit among its binding's limits), so the sweep
//!   counts both;
//! - operations on Cloudflare's own services (Workers KV, R2): 1,000 per
//!   invocation on both plans.
//!
//! The sweep asks before each step whether the step's most it can spend
//! still fits ([`Budget::allows`]); a step that does not fit waits for the
//! next minute's run, and the sweep logs what it left.

/// A Workers plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Workers Free.
    Free,
    /// Workers Paid.
    Paid,
}

/// One invocation's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Subrequests to the internet (webhooks, mail).
    pub subrequests: u32,
    /// Operations on KV (and R2).
    pub kv_operations: u32,
}

impl Plan {
    /// `free` or `paid` (any case); anything else is none.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "free" => Some(Self::Free),
            "paid" => Some(Self::Paid),
            _ => None,
        }
    }

    /// Its per-invocation limits.
    pub const fn limits(self) -> Limits {
        match self {
            Self::Free => Limits { subrequests: 50, kv_operations: 1000 },
            Self::Paid => Limits { subrequests: 10_000, kv_operations: 1000 },
        }
    }
}

/// What one invocation has spent of its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    limits: Limits,
    subrequests: u32,
}

impl Budget {
    /// Nothing spent yet.
    pub const fn new(limits: Limits) -> Self {
        Self { limits, subrequests: 0 }
    }

    /// Whether a step that makes at most `subrequests` more subrequests and
    /// `kv_operations` more KV operations, after `kv_spent` so far, stays
    /// within the limits.
    pub const fn allows(&self, kv_spent: u32, subrequests: u32, kv_operations: u32) -> bool {
        self.subrequests + subrequests <= self.limits.subrequests && kv_spent + kv_operations <= self.limits.kv_operations
    }

    /// Counts one subrequest made.
    pub fn spend_subrequest(&mut self) {
        self.subrequests += 1;
    }

    /// Subrequests made.
    pub const fn subrequests(&self) -> u32 {
        self.subrequests
    }

    /// How many more subrequests fit.
    pub const fn subrequests_left(&self) -> u32 {
        self.limits.subrequests.saturating_sub(self.subrequests)
    }

    /// How many steps of `kv_per_step` KV operations fit after `kv_spent`,
    /// keeping `reserve` for what must follow.
    pub const fn steps_left(&self, kv_spent: u32, kv_per_step: u32, reserve: u32) -> u32 {
        let left = self.limits.kv_operations.saturating_sub(kv_spent).saturating_sub(reserve);
        match left.checked_div(kv_per_step) {
            Some(steps) => steps,
            None => left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_free_plan_allows_fifty_subrequests_and_a_thousand_kv_operations() {
        assert_eq!(Plan::Free.limits(), Limits { subrequests: 50, kv_operations: 1000 });
        assert_eq!(Plan::Paid.limits(), Limits { subrequests: 10_000, kv_operations: 1000 });
        assert_eq!((Plan::parse(" Paid "), Plan::parse("free"), Plan::parse("pro")), (Some(Plan::Paid), Some(Plan::Free), None));
        let mut budget = Budget::new(Plan::Free.limits());
        for _ in 0..49 {
            budget.spend_subrequest();
        }
        assert!(budget.allows(0, 1, 0));
        budget.spend_subrequest();
        assert!(!budget.allows(0, 1, 0), "the 51st webhook waits");
        assert_eq!(budget.subrequests_left(), 0);
        assert!(budget.allows(990, 0, 10) && !budget.allows(991, 0, 10), "a step that could pass 1,000 KV operations waits");
        assert_eq!((budget.steps_left(100, 3, 0), budget.steps_left(100, 3, 30), budget.steps_left(1200, 3, 0)), (300, 290, 0));
    }
}
