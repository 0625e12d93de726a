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
    /// One page of its members, by email.
    pub members: Vec<MemberRow>,
    /// Members that match the search, on every page.
    pub matching: u64,
    /// The page shown, from 1.
    pub page: u32,
    /// Members per page.
    pub per_page: u32,
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

/// One page of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The page's events, newest first.
    pub rows: Vec<AuditRow>,
    /// Events that pass the filters, on every page.
    pub matching: u64,
    /// The page shown, from 1.
    pub page: u32,
    /// Events per page.
    pub per_page: u32,
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

/// The organisation settings page: the organisation and its key policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettingsData {
    /// The organisation.
    pub org: OrgSummary,
    /// Its key policy.
    pub policy: gtx_core::domain::policy::OrgPolicy,
}

/// The webhooks page: the organisation and its endpoints, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksData {
    /// The organisation.
    pub org: OrgSummary,
    /// Its endpoints, each with its latest deliveries.
    pub endpoints: Vec<WebhookView>,
}

/// One endpoint as the page shows it (never its signing secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    /// Id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it wants; empty for every event.
    pub events: Vec<String>,
    /// Whether new events go to it.
    pub enabled: bool,
    /// When it was added (unix ms).
    pub created_at: i64,
    /// Its latest deliveries, newest first: the delivery log.
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of the log: an event and how its attempts went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The event's id (its `webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the event happened (unix ms).
    pub created_at: i64,
    /// The last attempt's HTTP status, if it got an answer.
    pub last_status: Option<i32>,
    /// The last attempt's error, if it got no answer.
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub last_duration_ms: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<gtx_core::db::repo::webhooks::DeliveryRow> for DeliveryView {
    fn from(row: gtx_core::db::repo::webhooks::DeliveryRow) -> Self {
        Self {
            event_id: row.event_id,
            event_type: row.event_type,
            state: row.state,
            attempts: row.attempts,
            created_at: row.created_at,
            last_status: row.last_status,
            last_error: row.last_error,
            last_duration_ms: row.last_duration_ms,
        }
    }
}

/// A webhook endpoint's signing secret, for the one-time reveal ("Save your signing
/// secret"). Sent only in the response that takes it (`Cache-Control: no-store`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedSigningSecret {
    /// The endpoint's URL.
    pub url: String,
    /// `whsec_…`.
    pub secret: String,
}

impl std::fmt::Debug for RevealedSigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedSigningSecret")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// One API key as the key pages show it: masked, never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `production`, `development` or `organisation`.
    pub key_type: String,
    /// The masked key: prefix, first 4, `…`, last 4.
    pub hint: String,
    /// Effective permissions (write includes read).
    pub permissions: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When (unix ms).
    pub created_at: i64,
    /// Expiry (unix ms); for a rotated key, the end of its grace period.
    pub expires_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// When it was disabled, while it is.
    pub disabled_at: Option<i64>,
    /// Last use, to the minute.
    pub last_used_at: Option<i64>,
    /// Whether a rotation replaced it.
    pub replaced: bool,
    /// Whether it replaced an older key.
    pub rotated: bool,
    /// Requests in the last 7 days (every outcome).
    pub requests_7d: u64,
}

#[cfg(feature = "ssr")]
impl From<gtx_core::db::models::ApiKeyRecord> for KeyRow {
    fn from(k: gtx_core::db::models::ApiKeyRecord) -> Self {
        Self {
            id: k.id.0,
            name: k.name,
            key_type: k.key_type.as_str().to_owned(),
            hint: k.hint,
            permissions: k.permissions.to_strings(),
            created_by: k.created_by_label,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            revoked_by: k.revoked_by_label,
            disabled_at: k.disabled_at,
            last_used_at: k.last_used_at,
            replaced: k.replaced_by.is_some(),
            rotated: k.rotated_from.is_some(),
            requests_7d: 0,
        }
    }
}

/// A key's detail page: the key, its settings, and its use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetailData {
    /// The organisation.
    pub org: OrgSummary,
    /// The project, for a project key.
    pub project: Option<ProjectSummary>,
    /// The key as the list shows it.
    pub key: KeyRow,
    /// What it is for ('' when not said).
    pub description: String,
    /// The networks it may be used from (empty: any address).
    pub ip_allowlist: Vec<String>,
    /// Its requests over the chosen range.
    pub series: gtx_core::domain::usage::UsageSeries,
    /// Organisation keys: the granted permissions not asked for in 30 days.
    pub unused: Option<Vec<String>>,
    /// A rotated key in its grace period: when it was rotated, and its requests since.
    pub since_rotation: Option<(i64, u64)>,
    /// The key that replaced it, if rotated.
    pub replaced_by: Option<String>,
    /// The address of its latest platform API call.
    pub last_client_ip: Option<String>,
    /// The user agent of its latest platform API call.
    pub last_user_agent: Option<String>,
    /// The server's time (unix ms).
    pub now: i64,
}

/// What a key page shows: its scope, its keys, and the server's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysData {
    /// The organisation (with the viewer's role and visible projects).
    pub org: OrgSummary,
    /// The project, on a project's page; `None` on the organisation's.
    pub project: Option<ProjectSummary>,
    /// One page of keys, in the view's order.
    pub keys: Vec<KeyRow>,
    /// Where that page sits in the list.
    pub counts: KeyCounts,
    /// The server's time (unix ms): status and "3 minutes ago" are computed against it,
    /// so the server-rendered page and the hydrated one agree.
    pub now: i64,
    /// The organisation's key policy (the create form offers only expiries it allows).
    pub policy: gtx_core::domain::policy::OrgPolicy,
}

/// How many keys a list holds, and which page is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCounts {
    /// Keys that pass the view's filters and search.
    pub matching: u64,
    /// Keys in the list before any filter.
    pub total: u64,
    /// The page shown, from 1 (the last page when the URL asked for one past it).
    pub page: u32,
    /// More keys match than `matching` says (counting stopped early).
    pub more: bool,
    /// The list holds more keys than `total` says (counting stopped early).
    pub total_more: bool,
    /// Rows per page.
    pub per_page: u32,
}

/// A key just created or rotated, for the one-time reveal. Sent only in the response
/// that created it (`Cache-Control: no-store`), and dropped when the dialog closes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedKey {
    /// The key's name.
    pub name: String,
    /// The key itself.
    pub key: String,
    /// The project it belongs to (for the `.env` snippet), if a project key.
    pub project_id: Option<String>,
}

impl std::fmt::Debug for RevealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedKey")
            .field("name", &self.name)
            .field("key", &"[redacted]")
            .finish()
    }
}
