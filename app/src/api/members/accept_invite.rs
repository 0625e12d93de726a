use crate::AppError;
use leptos::prelude::*;

/// Accepts an invite: sets name and password, joins, and signs in.
#[server(prefix = "/_sf", endpoint = "accept_invite")]
pub async fn accept_invite(token: String, name: String, password: String) -> Result<(), AppError> {
    use secrecy::SecretString;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let signed_in = services
        .accept_invite(&ctx.actor(), &token, &name, &SecretString::from(password))
        .await?;
    crate::api::end_previous_session(&services, &ctx).await;
    crate::api::set_sign_in_cookies(&signed_in);
    let landing = signed_in
        .landing_org
        .map(crate::paths::org)
        .unwrap_or_else(|| "/".into());
    leptos_axum::redirect(&landing);
    Ok(())
}
