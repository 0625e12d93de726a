// One argument per radio group of the permission selector (six), which `#[server]`
// repeats in code that an item-level `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use super::PermissionLevels;
use crate::AppError;
use leptos::prelude::*;

/// Sets an organisation key's permissions from the permission selector (admins).
#[server(prefix = "/_sf", endpoint = "set_api_key_permissions")]
pub async fn set_api_key_permissions(
    key_id: String,
    #[server(flatten)] levels: PermissionLevels,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let permissions = super::ssr::permissions_from_form(&levels)?;
    let key = services
        .set_key_permissions(&actor, &KeyId(key_id), permissions)
        .await?;
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
