//! Who the visitor is, as `session_state` answers it.

use serde::{Deserialize, Serialize};

/// The signed-in user as the page shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
}

/// Where a visitor stands: signed in, needing to sign in, or facing first-run setup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visitor {
    /// First run: nobody exists yet.
    SetupRequired,
    /// Not signed in.
    SignedOut,
    /// Signed in.
    SignedIn(Me),
}
