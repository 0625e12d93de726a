//! The error type every server function returns. It crosses the network as JSON, so the
//! page can show a message next to the right field.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};

/// What went wrong, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist, or belongs to someone else.
    #[error("Not found")]
    NotFound,
    /// A field is invalid.
    #[error("{message}")]
    Invalid {
        /// The field's name.
        field: String,
        /// What to fix.
        message: String,
    },
    /// The change conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// No session: sign in first.
    #[error("Please sign in.")]
    Unauthenticated,
    /// The email or password is wrong.
    #[error("The email or password is not correct.")]
    BadCredentials,
    /// Too many failed attempts.
    #[error("Too many failed attempts. Try again in {0} seconds.")]
    TooManyAttempts(i64),
    /// Not allowed.
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// A failure on the server; details are in the server's log, not here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server function or its answer was unreadable.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The message to show next to `field`, when this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid { field: f, message } if f == field => Some(message.clone()),
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
            Self::TooManyAttempts(_) => 429,
            Self::Internal => 500,
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
            message: e.message,
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
            CoreError::Forbidden => Self::Forbidden,
            CoreError::BadCredentials => Self::BadCredentials,
            CoreError::TooManyAttempts { retry_after_secs } => {
                Self::TooManyAttempts(retry_after_secs)
            }
            other @ (CoreError::SecretMismatch { .. }
            | CoreError::Db(_)
            | CoreError::Internal(_)) => {
                tracing::error!(error = %other, detail = ?other, "server function failed");
                Self::Internal
            }
        }
    }
}
