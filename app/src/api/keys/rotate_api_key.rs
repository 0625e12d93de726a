use crate::AppError;
use crate::api::types::RevealedKey;
use leptos::prelude::*;

/// Rotates a key: the replacement is revealed once; the old key keeps working for
/// `grace` (`now`, `1h`, `24h`, `7d`), never past its own expiry.
#[server(prefix = "/_sf", endpoint = "rotate_api_key")]
pub async fn rotate_api_key(
    key_id: String,
    grace: String,
) -> Result<Option<RevealedKey>, AppError> {
    use gtx_core::domain::KeyId;
    use gtx_core::domain::lifetime::GracePeriod;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let grace: GracePeriod = grace.trim().parse().map_err(AppError::from)?;
    let rotated = services.rotate_key(&actor, &KeyId(key_id), grace).await?;
    super::ssr::reveal(
        &services,
        &rotated.created.record,
        rotated.created.key.expose().to_owned(),
        "rotated",
    )
    .await
}
