//! The create-key form's fields, as `create_api_key` takes them.

use serde::{Deserialize, Serialize};

/// The create-key form as the page posts it (flat fields; the hydrated page sends the
/// same ones): the key's organisation, its project for a project key, name, type and
/// expiry, and the permission selector's levels for an organisation key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKeyForm {
    /// The organisation in the URL.
    pub org_id: String,
    /// The project, for a project key.
    pub project_id: Option<String>,
    /// The key's name.
    pub name: String,
    /// `production` or `development` (project keys).
    pub key_type: Option<String>,
    /// `never`, `30d`, `60d`, `90d`, `1y` or `date`.
    pub expires: Option<String>,
    /// The day, when `expires` is `date`.
    pub expires_on: Option<String>,
    /// The permission selector (organisation keys).
    #[serde(flatten)]
    pub levels: PermissionLevels,
}

/// One radio group per resource of the permission selector, named as the resource and
/// holding a [`gtx_core::domain::Level::form_value`]; a missing group is "No access".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionLevels {
    /// `files`
    pub files: Option<String>,
    /// `context`
    pub context: Option<String>,
    /// `runtime_translation`
    pub runtime_translation: Option<String>,
    /// `translation_queue`
    pub translation_queue: Option<String>,
    /// `project_settings`
    pub project_settings: Option<String>,
    /// `project_creation`
    pub project_creation: Option<String>,
    /// `api_keys`
    pub api_keys: Option<String>,
}

impl PermissionLevels {
    /// The level chosen for `resource`, as posted.
    pub fn of(&self, resource: gtx_core::domain::Resource) -> Option<&str> {
        use gtx_core::domain::Resource;
        match resource {
            Resource::Files => self.files.as_deref(),
            Resource::Context => self.context.as_deref(),
            Resource::RuntimeTranslation => self.runtime_translation.as_deref(),
            Resource::TranslationQueue => self.translation_queue.as_deref(),
            Resource::ProjectSettings => self.project_settings.as_deref(),
            Resource::ProjectCreation => self.project_creation.as_deref(),
            Resource::ApiKeys => self.api_keys.as_deref(),
        }
    }
}
