//! The error type every server function returns. It crosses the network as JSON, so the
//! page can show a message next to the right field.
//!
//! Every message it can show is fixed: invalid input and conflicts carry a [`Problem`]
//! code, never text. Without JavaScript an error reaches the page through a link
//! (`?__err=…`), which anyone can craft and send to a user; decoded, such a link can
//! only ever pick one of the known sentences (see [`AppError::de`]).

use gtx_core::domain::validation::Problem;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Decodes, Encodes};
use serde::{Deserialize, Serialize};

/// The longest wait a throttled answer may name (the throttle's window is 15 minutes).
const MAX_RETRY_AFTER_SECS: i64 = 3_600;

/// What went wrong, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist, or belongs to someone else.
    #[error("Not found")]
    NotFound,
    /// A field is invalid.
    #[error("{problem}")]
    Invalid {
        /// The field's name.
        field: String,
        /// What to fix.
        problem: Problem,
    },
    /// The change conflicts with the current state.
    #[error("{0}")]
    Conflict(Problem),
    /// No session: sign in first.
    #[error("Please sign in.")]
    Unauthenticated,
    /// The email or password is wrong.
    #[error("The email or password is not correct.")]
    BadCredentials,
    /// Too many failed attempts.
    #[error("Too many failed attempts. Try again in {0} seconds.")]
    TooManyAttempts(i64),
    /// The server is at its limit of concurrent sign-ins.
    #[error("The server is busy. Try again in {0} seconds.")]
    Busy(i64),
    /// Not allowed.
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// A failure on the server; details are in the server's log, not here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server function or its answer was unreadable. The
    /// detail is for logs and debugging; the page shows a fixed sentence.
    #[error("Could not reach the server. Please try again.")]
    Transport(String),
}

impl AppError {
    /// An invalid-field error.
    pub fn invalid(field: &str, problem: Problem) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            problem,
        }
    }

    /// The message to show next to `field`, when this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid { field: f, problem } if f == field => Some(problem.message().to_owned()),
            _ => None,
        }
    }

    /// The message to show for the form as a whole: any error that is not about one of
    /// the form's own `fields` (those show next to their field).
    pub fn form_message(&self, fields: &[&str]) -> Option<String> {
        match self {
            Self::Invalid { field, .. } if fields.contains(&field.as_str()) => None,
            other => Some(other.to_string()),
        }
    }

    /// The HTTP status a server function answers this error with: the client's mistakes
    /// are 4xx, only a failure on the server is a 500.
    pub fn status_code(&self) -> u16 {
        match self {
            // On the server this is a request whose arguments could not be decoded.
            Self::Transport(_) => 400,
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::Invalid { .. } => 422,
            Self::TooManyAttempts(_) | Self::Busy(_) => 429,
            Self::Internal => 500,
        }
    }

    /// The same error with the numbers it shows kept in their real range: a crafted link
    /// must not be able to tell a user to wait for days.
    fn bounded(self) -> Self {
        match self {
            Self::TooManyAttempts(s) => Self::TooManyAttempts(s.clamp(1, MAX_RETRY_AFTER_SECS)),
            Self::Busy(s) => Self::Busy(s.clamp(1, MAX_RETRY_AFTER_SECS)),
            other => other,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }

    /// Encodes the error for the response. server_fn calls this on the server when
    /// it turns a server function's `Err` into a response, which it would answer with 500
    /// whatever the error: this is where the response gets the status the error means.
    /// Decodes an error from a response or from a link's `__err`. Anything that is not
    /// a known error with a known [`Problem`] becomes a `Transport` error, whose shown
    /// sentence is fixed too.
    fn de(data: Bytes) -> Self {
        <JsonEncoding as Decodes<Self>>::decode(data)
            .map(Self::bounded)
            .unwrap_or_else(|e| Self::Transport(e.to_string()))
    }

    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        crate::api::set_error_status(self);
        <JsonEncoding as Encodes<Self>>::encode(self).unwrap_or_else(|e| {
            <JsonEncoding as Encodes<Self>>::encode(&Self::Transport(e.to_string()))
                .unwrap_or_default()
        })
    }
}

impl From<gtx_core::domain::validation::FieldError> for AppError {
    fn from(e: gtx_core::domain::validation::FieldError) -> Self {
        Self::Invalid {
            field: e.field,
            problem: e.problem,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<gtx_core::error::CoreError> for AppError {
    fn from(e: gtx_core::error::CoreError) -> Self {
        use gtx_core::error::CoreError;
        match e {
            CoreError::Invalid(f) => Self::from(f),
            CoreError::NotFound { .. } => Self::NotFound,
            CoreError::Conflict(message) => Self::Conflict(message),
            CoreError::Forbidden | CoreError::MissingPermissions(_) => Self::Forbidden,
            CoreError::BadCredentials => Self::BadCredentials,
            CoreError::TooManyAttempts { retry_after_secs } => {
                Self::TooManyAttempts(retry_after_secs)
            }
            CoreError::Busy { retry_after_secs } => Self::Busy(retry_after_secs),
            other @ (CoreError::SecretMismatch { .. }
            | CoreError::Db(_)
            | CoreError::Internal(_)) => {
                tracing::error!(error = %other, detail = ?other, "server function failed");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_link(json: &str) -> AppError {
        AppError::de(Bytes::from(json.to_owned()))
    }

    #[test]
    fn de_of_a_crafted_link_shows_only_fixed_sentences() {
        for crafted in [
            r#"{"Conflict":"Your account is locked: call +1 555 0100"}"#,
            r#"{"Invalid":{"field":"name","message":"Visit evil.example"}}"#,
            r#"{"Invalid":{"field":"name","problem":"Visit evil.example"}}"#,
            r#"{"Transport":"Visit evil.example"}"#,
            r#"{"Unknown":"Visit evil.example"}"#,
            "not json at all",
        ] {
            let shown = from_link(crafted).to_string();
            assert!(
                !shown.contains("evil") && !shown.contains("555"),
                "{crafted} -> {shown}"
            );
        }
        assert_eq!(
            from_link(r#"{"Invalid":{"field":"name","problem":"NameEmpty"}}"#)
                .field_message("name")
                .as_deref(),
            Some("Enter a name.")
        );
        assert_eq!(
            from_link(r#"{"TooManyAttempts":99999999}"#),
            AppError::TooManyAttempts(MAX_RETRY_AFTER_SECS)
        );
    }

    #[test]
    fn de_reads_what_ser_wrote() {
        for e in [
            AppError::invalid("email", Problem::Email),
            AppError::Conflict(Problem::KeyAlreadyRevoked),
            AppError::TooManyAttempts(12),
            AppError::Busy(1),
            AppError::NotFound,
        ] {
            let bytes = <JsonEncoding as Encodes<AppError>>::encode(&e).expect("encode");
            assert_eq!(AppError::de(bytes), e);
        }
    }
}
