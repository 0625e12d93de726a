//! Sign-in, sign-out, first-run setup, and who is signed in.

mod complete_setup;
mod session_state;
mod sign_in;
mod sign_out;
#[cfg(feature = "ssr")]
mod ssr;
mod visitor;

pub use complete_setup::{CompleteSetup, complete_setup};
pub use session_state::{SessionState, session_state};
pub use sign_in::{SignIn, sign_in};
pub use sign_out::{SignOut, sign_out};
pub use visitor::{Me, Visitor};
