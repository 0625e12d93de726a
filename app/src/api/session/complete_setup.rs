use crate::AppError;
use leptos::prelude::*;

/// First-run setup: the organisation and its first admin, then signed in.
#[server(prefix = "/_sf", endpoint = "complete_setup")]
pub async fn complete_setup(
    setup_token: String,
    org_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use gtx_core::services::SetupInput;
    use secrecy::SecretString;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let input = SetupInput {
        setup_token: SecretString::from(setup_token),
        org_name,
        email,
        name: None,
        password: SecretString::from(password),
    };
    let signed_in = services.complete_setup(&ctx.actor(), input).await?;
    crate::api::end_previous_session(&services, &ctx).await;
    crate::api::set_sign_in_cookies(&signed_in);
    leptos_axum::redirect(&super::ssr::landing(signed_in.landing_org.as_ref()));
    Ok(())
}
