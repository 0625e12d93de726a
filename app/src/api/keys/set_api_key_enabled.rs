use crate::AppError;
use leptos::prelude::*;

/// Disables (pauses: every check answers DISABLED) or enables a key. `back` is `detail`
/// when posted from the key's page.
#[server(prefix = "/_sf", endpoint = "set_api_key_enabled")]
pub async fn set_api_key_enabled(
    key_id: String,
    enabled: bool,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let key_id = KeyId(key_id);
    let key = if enabled {
        services.enable_key(&actor, &key_id).await?
    } else {
        services.disable_key(&actor, &key_id).await?
    };
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
