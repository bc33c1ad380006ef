//! The panel's state and its one `update` function: pure, tested on the
//! host. The view draws the state and carries out the effects.

use buoy_shared::deflection::Outcome;
use buoy_shared::ticket::TicketType;

/// Which screen of the panel shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Search, suggestions for the page, topics.
    Home,
    /// One article, by id.
    Article(String),
    /// A ticket type's guided-fix steps.
    Guide(TicketType),
    /// "Glad that helped".
    Fixed,
    /// The ticket form (and, once sent, its confirmation).
    Contact,
    /// The requester's tickets on this device.
    Tickets,
    /// One of them, by id: its thread, reply box and rating.
    Thread(String),
}

/// Something that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Show a screen.
    Show(View),
    /// The requester chose a topic; `has_steps` if its playbook has a guided fix.
    Topic(TicketType, bool),
    /// The guided fix ended.
    GuideEnded(Outcome),
}

/// What the view must do after an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond redrawing.
    Redraw,
    /// Draw the current screen and move focus to its heading.
    ShowView,
    /// Record how the guided fix for this type ended, then draw the screen.
    Record(TicketType, Outcome),
    /// Open the form with this type chosen.
    ContactAbout(TicketType),
}

/// The panel's state: the screen showing (the form's own state is the
/// form module's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The screen showing.
    pub view: View,
}

impl Default for State {
    fn default() -> Self {
        Self { view: View::Home }
    }
}

impl State {
    /// Applies a message and says what the view must do.
    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Show(view) => {
                self.view = view;
                Effect::ShowView
            }
            Msg::Topic(kind, true) => {
                self.view = View::Guide(kind);
                Effect::ShowView
            }
            Msg::Topic(kind, false) => {
                self.view = View::Contact;
                Effect::ContactAbout(kind)
            }
            Msg::GuideEnded(outcome) => {
                let View::Guide(kind) = &self.view else { return Effect::Redraw };
                let kind = kind.clone();
                match outcome {
                    Outcome::Fixed => self.view = View::Fixed,
                    Outcome::NeedHelp => self.view = View::Contact,
                }
                Effect::Record(kind, outcome)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_with_steps_shows_the_guide_first() {
        let mut state = State::default();
        assert_eq!(state.update(Msg::Topic(TicketType::PASSWORD_RESET, true)), Effect::ShowView);
        assert_eq!(state.view, View::Guide(TicketType::PASSWORD_RESET));
        assert_eq!(state.update(Msg::Topic(TicketType::BILLING, false)), Effect::ContactAbout(TicketType::BILLING));
        assert_eq!(state.view, View::Contact);
    }

    #[test]
    fn both_guide_outcomes_are_recorded() {
        let mut state = State::default();
        state.update(Msg::Topic(TicketType::PASSWORD_RESET, true));
        assert_eq!(state.update(Msg::GuideEnded(Outcome::Fixed)), Effect::Record(TicketType::PASSWORD_RESET, Outcome::Fixed));
        assert_eq!(state.view, View::Fixed);
        state.update(Msg::Topic(TicketType::PASSWORD_RESET, true));
        assert_eq!(state.update(Msg::GuideEnded(Outcome::NeedHelp)), Effect::Record(TicketType::PASSWORD_RESET, Outcome::NeedHelp));
        assert_eq!(state.view, View::Contact);
        assert_eq!(state.update(Msg::GuideEnded(Outcome::Fixed)), Effect::Redraw, "no guide showing: nothing to record");
    }
}
