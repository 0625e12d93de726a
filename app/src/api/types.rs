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
    /// Whether the signed-in user administers it.
    pub is_admin: bool,
    /// Projects, by name.
    pub projects: Vec<ProjectSummary>,
}

#[cfg(feature = "ssr")]
impl From<gtx_core::services::OrgWithProjects> for OrgSummary {
    fn from(o: gtx_core::services::OrgWithProjects) -> Self {
        Self {
            id: o.org.id.0,
            name: o.org.name,
            is_admin: o.is_admin,
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

/// A project with its settings and members, for the settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDetail {
    /// The project.
    pub project: ProjectSummary,
    /// The organisation's id.
    pub org_id: String,
    /// Whether the viewer administers the organisation (may manage membership).
    pub is_admin: bool,
    /// The project's members (admins see them; members see an empty list).
    pub members: Vec<MemberRow>,
}

/// A member of an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// User id.
    pub user_id: String,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
    /// Ids of the organisation's projects they belong to.
    pub project_ids: Vec<String>,
}

/// An invite not yet accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    /// Id.
    pub id: String,
    /// Email invited.
    pub email: String,
    /// Role on acceptance.
    pub role: String,
    /// Expiry (unix ms).
    pub expires_at: i64,
}

/// The members page's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersData {
    /// The organisation.
    pub org: OrgSummary,
    /// Its members.
    pub members: Vec<MemberRow>,
    /// Open invites.
    pub invites: Vec<InviteRow>,
}

/// A just-created invite: the link is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInviteLink {
    /// The email invited.
    pub email: String,
    /// The path of the link (`/invite/{token}`), to be joined with the page's origin.
    pub path: String,
}

/// What the invite page shows before acceptance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    /// The organisation's name.
    pub org_name: String,
    /// The invited email.
    pub email: String,
}

/// One audit event as the log page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Id (for paging).
    pub id: String,
    /// Who acted.
    pub actor: String,
    /// What they did.
    pub action: String,
    /// Kind of target.
    pub target_type: Option<String>,
    /// The target's name then.
    pub target: Option<String>,
    /// Details (JSON text).
    pub details: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// When (unix ms).
    pub occurred_at: i64,
}

#[cfg(feature = "ssr")]
impl From<gtx_core::services::MemberView> for MemberRow {
    fn from(m: gtx_core::services::MemberView) -> Self {
        Self {
            user_id: m.user_id.0,
            email: m.email,
            name: m.name,
            role: m.role.as_str().to_owned(),
            project_ids: m.project_ids.into_iter().map(|p| p.0).collect(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<gtx_core::db::models::AuditEvent> for AuditRow {
    fn from(e: gtx_core::db::models::AuditEvent) -> Self {
        Self {
            id: e.id,
            actor: e.actor_label,
            action: e.action,
            target_type: e.target_type,
            target: e.target_label,
            details: e.details,
            ip: e.ip,
            user_agent: e.user_agent,
            occurred_at: e.occurred_at,
        }
    }
}
