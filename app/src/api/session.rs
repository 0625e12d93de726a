//! Sign-in, sign-out, first-run setup, and who is signed in.

use crate::AppError;
use leptos::prelude::*;
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

/// The visitor's session state.
#[server(prefix = "/_sf", endpoint = "session_state")]
pub async fn session_state() -> Result<Visitor, AppError> {
    let services = super::services()?;
    let ctx = super::request_context().await?;
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

/// Signs in and lands on the user's organisation.
#[server(prefix = "/_sf", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use secrecy::SecretString;
    let services = super::services()?;
    let ctx = super::request_context().await?;
    let signed_in = services
        .sign_in(
            &ctx.actor(),
            &email,
            &SecretString::from(password),
            ctx.device.as_deref(),
        )
        .await?;
    super::end_previous_session(&services, &ctx).await;
    super::set_sign_in_cookies(&signed_in);
    leptos_axum::redirect(&landing(signed_in.landing_org.as_ref()));
    Ok(())
}

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
    let services = super::services()?;
    let ctx = super::request_context().await?;
    let input = SetupInput {
        setup_token: SecretString::from(setup_token),
        org_name,
        email,
        name: None,
        password: SecretString::from(password),
    };
    let signed_in = services.complete_setup(&ctx.actor(), input).await?;
    super::end_previous_session(&services, &ctx).await;
    super::set_sign_in_cookies(&signed_in);
    leptos_axum::redirect(&landing(signed_in.landing_org.as_ref()));
    Ok(())
}

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/_sf", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let services = super::services()?;
    let ctx = super::request_context().await?;
    if let Some(user) = ctx.user {
        services.sign_out(&user).await?;
    }
    super::clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(feature = "ssr")]
fn landing(org: Option<&gtx_core::domain::OrgId>) -> String {
    match org {
        Some(org) => crate::paths::org(org),
        None => "/".to_owned(),
    }
}
