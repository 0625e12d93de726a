use crate::AppError;
use leptos::prelude::*;

/// Sets the networks a key may be used from: addresses or CIDRs (IPv4 or IPv6), one per
/// line (or separated by commas or spaces), at most 50; empty for any address.
#[server(prefix = "/_sf", endpoint = "set_api_key_ip_allowlist")]
pub async fn set_api_key_ip_allowlist(
    key_id: String,
    ip_allowlist: String,
    #[server(default)] back: Option<String>,
) -> Result<(), AppError> {
    use gtx_core::domain::{IpAllowList, KeyId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let list = IpAllowList::parse("ip_allowlist", &ip_allowlist)?;
    let key = services
        .set_key_ip_allowlist(&actor, &KeyId(key_id), &list)
        .await?;
    super::ssr::back_after_change(&key, back.as_deref());
    Ok(())
}
