use crate::AppError;
use leptos::prelude::*;

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/_sf", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    if let Some(user) = ctx.user {
        services.sign_out(&user).await?;
    }
    crate::api::clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}
