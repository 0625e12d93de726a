use super::Visitor;
use crate::AppError;
use leptos::prelude::*;

/// The visitor's session state.
#[server(prefix = "/_sf", endpoint = "session_state")]
pub async fn session_state() -> Result<Visitor, AppError> {
    use super::Me;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    if let Some(user) = ctx.user {
        return Ok(Visitor::SignedIn(Me {
            email: user.email,
            name: user.name,
        }));
    }
    if services.setup_required().await? {
        Ok(Visitor::SetupRequired)
    } else {
        Ok(Visitor::SignedOut)
    }
}
