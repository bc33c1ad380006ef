//! The one error type of the worker and its one conversion to a response.

use crate::http::ApiResponse;
use buoy_shared::problem::Problem;
use buoy_shared::ticket::FieldError;
use serde::Serialize;

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum AppError {
    /// A client error with a stable code and nothing more to say.
    Problem(Problem),
    /// The JSON did not have the expected shape; the detail (from serde,
    /// naming the field) helps the developer and holds no secret.
    InvalidRequest(String),
    /// Fields failed validation.
    Validation(Vec<FieldError>),
    /// A file, or a message's files, refused: its own status, and one
    /// field error (`file` or `attachments`) with its code.
    Refused(buoy_shared::attach::Refusal),
    /// A problem with a fixed detail that says which check failed (an
    /// Access token's refusal, say).
    Denied(Problem, &'static str),
    /// An agent record's fields failed validation (each named).
    Agent(Vec<buoy_shared::agents::AgentError>),
    /// A privacy request's fields, each named.
    Privacy(Vec<buoy_shared::privacy::RequestError>),
    /// A canned reply's fields failed validation (each named, with a
    /// sentence that says what is wrong), or its site's set is full.
    Canned(Vec<buoy_shared::canned::CannedError>),
    /// Our fault: logged in full, answered with `internal` and no detail.
    Internal(String),
    /// Someone else wrote to the ticket since the event the agent's
    /// `If-Match` names: `409 edit_conflict` with what changed.
    Conflict {
        /// The events since, as the ticket's view shows them.
        since: Vec<buoy_shared::events::TicketEvent>,
        /// The ticket's latest event id, to send anyway with.
        latest: String,
    },
}

impl From<Problem> for AppError {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl From<buoy_shared::attach::Refusal> for AppError {
    fn from(refusal: buoy_shared::attach::Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Internal(format!("store: {}", error.0))
    }
}

/// An RFC 9457 problem document.
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrorItem>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    conflict: Option<ConflictItem<'a>>,
}

/// What changed, in an `edit_conflict` problem.
#[derive(Serialize)]
struct ConflictItem<'a> {
    #[serde(serialize_with = "crate::api::events_with_files")]
    since: &'a [buoy_shared::events::TicketEvent],
    latest: &'a str,
}

/// One field error of a problem document.
#[derive(Serialize)]
struct ErrorItem {
    field: std::borrow::Cow<'static, str>,
    code: &'static str,
}

impl AppError {
    /// The problem this error is reported as.
    pub fn problem(&self) -> Problem {
        match self {
            Self::Problem(problem) => *problem,
            Self::InvalidRequest(_) => Problem::InvalidRequest,
            Self::Validation(_) => Problem::ValidationFailed,
            Self::Refused(refusal) => refusal.problem(),
            Self::Denied(problem, _) => *problem,
            Self::Agent(_) | Self::Canned(_) | Self::Privacy(_) => Problem::ValidationFailed,
            Self::Internal(_) => Problem::Internal,
            Self::Conflict { .. } => Problem::EditConflict,
        }
    }

    /// The `application/problem+json` response; internal detail goes to the
    /// log, never into the body.
    pub fn into_response(self) -> ApiResponse {
        let problem = self.problem();
        let canned_detail;
        let (detail, errors) = match &self {
            Self::InvalidRequest(detail) => (Some(detail.as_str()), Vec::new()),
            Self::Validation(errors) => {
                (None, errors.iter().map(|e: &FieldError| ErrorItem { field: e.name().into(), code: e.code.code() }).collect())
            }
            Self::Refused(refusal) => (None, vec![ErrorItem { field: refusal.field().into(), code: refusal.code() }]),
            Self::Denied(_, detail) => (Some(*detail), Vec::new()),
            Self::Agent(errors) => {
                (None, errors.iter().map(|e| ErrorItem { field: e.field.as_str().into(), code: e.code.code() }).collect())
            }
            Self::Privacy(errors) => (None, errors.iter().map(|e| ErrorItem { field: e.field.into(), code: e.code.code() }).collect()),
            Self::Canned(errors) => {
                canned_detail = errors.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>().join("; ");
                (Some(canned_detail.as_str()), errors.iter().map(|e| ErrorItem { field: e.field.into(), code: e.code }).collect())
            }
            Self::Internal(detail) => {
                crate::log_error(detail);
                (None, Vec::new())
            }
            Self::Problem(_) | Self::Conflict { .. } => (None, Vec::new()),
        };
        let conflict = match &self {
            Self::Conflict { since, latest } => Some(ConflictItem { since, latest }),
            _ => None,
        };
        let body = ProblemBody {
            kind: "about:blank",
            title: problem.title(),
            status: problem.status(),
            code: problem.code(),
            detail,
            errors,
            conflict,
        };
        let response = ApiResponse::with_type(problem.status(), "application/problem+json", &body);
        match problem {
            Problem::Unauthorized | Problem::BearerTokensOff => response.header("www-authenticate", "Bearer realm=\"buoy\""),
            _ => response,
        }
    }
}
