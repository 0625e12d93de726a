use crate::AppError;
use leptos::prelude::*;

/// Sets a key's description (at most 500 characters; line breaks kept).
#[server(prefix = "/_sf", endpoint = "describe_api_key")]
pub async fn describe_api_key(
    key_id: String,
    description: String,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let key = services
        .describe_key(&actor, &KeyId(key_id), &description)
        .await?;
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
