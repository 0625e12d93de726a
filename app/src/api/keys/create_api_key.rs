// `create_api_key` takes one argument per form field (the permission selector has six),
// and `#[server]` repeats them in code that an item-level `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use super::NewKeyForm;
use crate::AppError;
use crate::api::types::RevealedKey;
use leptos::prelude::*;

/// Creates a key and reveals it once. Project keys take `key_type` (`production` or
/// `development`); organisation keys take one level per resource of the permission
/// selector. `expires` is `never`, `30d`, `60d`, `90d`, `1y` or `date` (with `expires_on`).
#[server(prefix = "/_sf", endpoint = "create_api_key")]
pub async fn create_api_key(
    #[server(flatten)] form: NewKeyForm,
) -> Result<Option<RevealedKey>, AppError> {
    use gtx_core::domain::lifetime::expiry_from_form;
    use gtx_core::domain::{KeyType, OrgId, ProjectId};
    use gtx_core::services::{KeyScope, NewKey};
    let NewKeyForm {
        org_id,
        project_id,
        name,
        key_type,
        expires,
        expires_on,
        levels,
    } = form;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let expires_at = expiry_from_form(
        expires.as_deref().unwrap_or("never"),
        expires_on.as_deref().unwrap_or(""),
        services.now(),
    )?;
    let scope = match project_id {
        Some(project_id) => {
            // The project must belong to the organisation in the URL.
            let project = services
                .get_project(&actor, &org_id, &ProjectId(project_id))
                .await?;
            let key_type = match key_type.as_deref() {
                Some("production") => KeyType::Production,
                Some("development") => KeyType::Development,
                _ => {
                    return Err(AppError::invalid(
                        "key_type",
                        gtx_core::domain::validation::Problem::KeyType,
                    ));
                }
            };
            KeyScope::Project {
                project_id: project.id,
                key_type,
            }
        }
        None => KeyScope::Organisation {
            org_id: org_id.clone(),
            permissions: super::ssr::permissions_from_form(&levels)?,
        },
    };
    let created = services
        .create_key(
            &actor,
            NewKey {
                scope,
                name,
                expires_at,
                description: String::new(),
            },
        )
        .await?;
    super::ssr::reveal(
        &services,
        &created.record,
        created.key.expose().to_owned(),
        "created",
    )
    .await
}
