use crate::AppError;
use leptos::prelude::*;

/// Changes a member's role.
#[server(prefix = "/_sf", endpoint = "set_member_role")]
pub async fn set_member_role(
    org_id: String,
    user_id: String,
    role: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, UserId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let role = role
        .parse()
        .map_err(|_| AppError::invalid("role", gtx_core::domain::validation::Problem::Role))?;
    services
        .set_member_role(&actor, &OrgId(org_id.clone()), &UserId(user_id), role)
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}
