use crate::AppError;
use leptos::prelude::*;

/// Ends a rotated key's grace period now ("Stop old key now"). `back` is `detail` when posted from the key's page.
#[server(prefix = "/_sf", endpoint = "end_grace_period")]
pub async fn end_grace_period(
    key_id: String,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let key = services.end_grace_period(&actor, &KeyId(key_id)).await?;
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
