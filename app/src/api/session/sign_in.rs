use crate::AppError;
use leptos::prelude::*;

/// Signs in and lands on the user's organisation.
#[server(prefix = "/_sf", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use secrecy::SecretString;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let signed_in = services
        .sign_in(
            &ctx.actor(),
            &email,
            &SecretString::from(password),
            ctx.device.as_deref(),
        )
        .await?;
    crate::api::end_previous_session(&services, &ctx).await;
    crate::api::set_sign_in_cookies(&signed_in);
    leptos_axum::redirect(&super::ssr::landing(signed_in.landing_org.as_ref()));
    Ok(())
}
