//! What the pages receive: only what they show, never a secret.

use serde::{Deserialize, Serialize};

/// A project in navigation and lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Id (the `GT_PROJECT_ID`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Default locale.
    pub default_locale: String,
}

/// An organisation and its projects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Projects, by name.
    pub projects: Vec<ProjectSummary>,
}

#[cfg(feature = "ssr")]
impl From<gtx_core::services::OrgWithProjects> for OrgSummary {
    fn from(o: gtx_core::services::OrgWithProjects) -> Self {
        Self {
            id: o.org.id.0,
            name: o.org.name,
            projects: o
                .projects
                .into_iter()
                .map(|p| ProjectSummary {
                    id: p.id.0,
                    name: p.name,
                    default_locale: p.default_locale,
                })
                .collect(),
        }
    }
}
