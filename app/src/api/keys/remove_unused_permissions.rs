use crate::AppError;
use leptos::prelude::*;

/// Removes an organisation key's permissions that no request asked for in 30 days. `back` is `detail` when posted from the key's page.
#[server(prefix = "/_sf", endpoint = "remove_unused_permissions")]
pub async fn remove_unused_permissions(
    key_id: String,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let key = services
        .remove_unused_permissions(&actor, &KeyId(key_id))
        .await?;
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
