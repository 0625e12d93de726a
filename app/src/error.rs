//! The error type every server function returns. It crosses the network as JSON, so the
//! page can show a message next to the right field.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
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

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<gtx_core::error::CoreError> for AppError {
    fn from(e: gtx_core::error::CoreError) -> Self {
        use gtx_core::error::CoreError;
        match e {
            CoreError::Invalid(f) => Self::Invalid {
                field: f.field,
                message: f.message,
            },
            CoreError::NotFound { .. } => Self::NotFound,
            CoreError::Conflict(message) => Self::Conflict(message),
            CoreError::Forbidden => Self::Forbidden,
            other @ (CoreError::SecretMismatch { .. } | CoreError::Db(_)) => {
                tracing::error!(error = %other, detail = ?other, "server function failed");
                Self::Internal
            }
        }
    }
}
