//! Request and response bodies of the key API, with their OpenAPI schemas.

use gtx_core::db::models::Project;
use gtx_core::domain::validation;
use gtx_core::domain::{KeyType, Permission, PermissionSet};
use gtx_core::services::{HintText, IdText, KeyFacts, VerifyCode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::OnceLock;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// `POST /api/v1/keys/verify`. No `Debug`: it holds a key.
#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The presented key: `gtx-api-`, `gtx-dev-` or `gtx-org-` and 49 base62 characters
    /// (43 random, 6 of checksum).
    #[schema(example = "gtx-api-<49 base62 characters>")]
    pub key: String,
    /// The project the key is being used for (optional).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Permissions the action needs (optional), e.g. `["files:write"]`, in our names
    /// or General Translation's (`["project:files:write"]`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<PermissionOrScope>>)]
    pub permissions: Option<Vec<String>>,
    /// The address the key was presented from (IPv4 or IPv6), e.g. the caller of the
    /// service asking. Needed for keys with an IP allow-list: without it they answer
    /// `IP_NOT_ALLOWED`.
    #[serde(default)]
    #[schema(schema_with = client_ip, example = "203.0.113.7")]
    pub client_ip: Option<String>,
}

/// A permission string, in our names. Its schema lists every permission (from
/// [`Permission::ALL`], so it cannot drift from the domain).
pub struct PermissionName;

impl utoipa::PartialSchema for PermissionName {
    fn schema() -> RefOr<Schema> {
        names_schema(
            Permission::ALL.map(Permission::as_str),
            "A permission (`write` includes `read`).",
        )
    }
}
impl ToSchema for PermissionName {}

/// A permission in General Translation's scope names (`project:files:read`, …).
pub struct ScopeName;

impl utoipa::PartialSchema for ScopeName {
    fn schema() -> RefOr<Schema> {
        names_schema(
            Permission::ALL.map(Permission::gt_scope),
            "A permission in General Translation's scope names.",
        )
    }
}
impl ToSchema for ScopeName {}

/// A permission as a request may name it: ours, or General Translation's scope name.
pub struct PermissionOrScope;

impl utoipa::PartialSchema for PermissionOrScope {
    fn schema() -> RefOr<Schema> {
        let mut names: Vec<&str> = Permission::ALL.map(Permission::as_str).to_vec();
        names.extend(Permission::ALL.map(Permission::gt_scope));
        names_schema(
            names,
            "A permission, in our names or in General Translation's scope names.",
        )
    }
}
impl ToSchema for PermissionOrScope {}

fn names_schema<'a>(names: impl IntoIterator<Item = &'a str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(names))
        .description(Some(description))
        .into()
}

/// A permission set as the list of General Translation's scope names.
pub struct ScopeList(pub PermissionSet);

impl Serialize for ScopeList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        scopes_json(self.0).serialize(serializer)
    }
}

/// `set` as the JSON array of its names, as [`PermissionList`] writes it.
pub fn permissions_json(set: PermissionSet) -> &'static RawValue {
    static MADE: InternedLists = InternedLists::new();
    MADE.get(set, |set| set.iter().map(Permission::as_str).collect())
}

/// `set` as the JSON array of General Translation's scope names, as [`ScopeList`]
/// writes it.
pub fn scopes_json(set: PermissionSet) -> &'static RawValue {
    static MADE: InternedLists = InternedLists::new();
    MADE.get(set, |set| set.gt_scopes().collect())
}

/// The JSON arrays of names of every permission set, each made on first use and kept for
/// the life of the process (there are at most 2^10 sets, and a process meets a few): a
/// valid verify copies its key's lists instead of escaping a dozen names each time.
struct InternedLists([OnceLock<Box<RawValue>>; InternedLists::SETS]);

impl InternedLists {
    /// One slot per bit pattern of [`PermissionSet::bits_u16`].
    const SETS: usize = 1 << Permission::ALL.len();

    const fn new() -> Self {
        Self([const { OnceLock::new() }; Self::SETS])
    }

    /// `set`'s list, made from the names `names` gives.
    fn get(
        &'static self,
        set: PermissionSet,
        names: impl FnOnce(PermissionSet) -> Vec<&'static str>,
    ) -> &'static RawValue {
        let slot = &self.0[usize::from(set.bits_u16()) % Self::SETS];
        slot.get_or_init(|| {
            // A list of plain strings always serialises.
            serde_json::value::to_raw_value(&names(set)).unwrap_or_default()
        })
    }
}

/// The verdict of a check.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The key passed every check.
    Valid,
    /// Not a well-formed GT key: no database work was done.
    Malformed,
    /// No such key.
    NotFound,
    /// The key was revoked.
    Revoked,
    /// The key expired (or its rotation grace period ended).
    Expired,
    /// The key is disabled (paused) until an admin enables it.
    Disabled,
    /// The key has an IP allow-list and `client_ip` is not in it, or was not sent.
    IpNotAllowed,
    /// The key does not reach `project_id`.
    WrongProject,
    /// The key lacks some of `permissions` (see `missing_permissions`).
    InsufficientPermissions,
}

impl From<VerifyCode> for Code {
    fn from(code: VerifyCode) -> Self {
        match code {
            VerifyCode::Valid => Self::Valid,
            VerifyCode::Malformed => Self::Malformed,
            VerifyCode::NotFound => Self::NotFound,
            VerifyCode::Revoked => Self::Revoked,
            VerifyCode::Expired => Self::Expired,
            VerifyCode::Disabled => Self::Disabled,
            VerifyCode::IpNotAllowed => Self::IpNotAllowed,
            VerifyCode::WrongProject => Self::WrongProject,
            VerifyCode::InsufficientPermissions => Self::InsufficientPermissions,
        }
    }
}

/// The answer of `POST /api/v1/keys/verify` (always 200 for a well-formed request).
#[derive(Serialize, ToSchema)]
pub struct VerifyResponse<'a> {
    /// Whether the key passed (`code` is `VALID`).
    pub valid: bool,
    /// The verdict.
    pub code: Code,
    /// The key, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo<'a>>,
    /// The requested permissions the key lacks (`INSUFFICIENT_PERMISSIONS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<PermissionName>>)]
    pub missing_permissions: Option<Vec<&'static str>>,
    /// The same in General Translation's scope names.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ScopeName>>)]
    pub missing_scopes: Option<Vec<&'static str>>,
    /// Why the key is malformed (`MALFORMED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Scope of a key.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One project (`gtx-api-`, `gtx-dev-`).
    Project,
    /// Every project of the organisation (`gtx-org-`).
    Organisation,
}

/// Environment of a project key.
#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// `gtx-api-`
    Production,
    /// `gtx-dev-`
    Development,
}

/// A key's metadata (never the key), borrowed from its cached facts: a valid check
/// writes its answer from these without copying them.
#[derive(Serialize, ToSchema)]
pub struct KeyInfo<'a> {
    /// The key's id.
    #[schema(value_type = String)]
    pub id: IdText,
    /// Its name.
    pub name: &'a str,
    /// Masked form: prefix, first 4 and last 4 characters.
    #[schema(value_type = String)]
    pub hint: HintText<'a>,
    /// Project or organisation key.
    pub kind: Kind,
    /// Production or development (project keys); null for organisation keys.
    pub environment: Option<Environment>,
    /// The organisation.
    #[schema(value_type = String)]
    pub organisation_id: IdText,
    /// The project (project keys); null for organisation keys.
    #[schema(value_type = Option<String>)]
    pub project_id: Option<IdText>,
    /// Effective permissions (`write` includes `read`).
    #[schema(value_type = Vec<PermissionName>)]
    pub permissions: PermissionList,
    /// The same in General Translation's scope names.
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: ScopeList,
    /// Expiry in unix milliseconds; null for never.
    pub expires_at: Option<i64>,
}

impl KeyInfo<'_> {
    /// Writes the answer to a check this key passed: the bytes serde writes for
    /// `VerifyResponse { valid: true, code: VALID, key: Some(self) }`, written by hand
    /// because it is most of a cached check's work and serde escapes every field name
    /// each time. Only the name and hint are escaped; ids are UUIDs and the permission
    /// lists are made once per process. The tests hold the bytes equal to serde's
    /// (`verify_valid_answer_is_serdes_for_every_kind_of_key`).
    pub fn write_valid_answer(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"{"valid":true,"code":"VALID","key":{"id":""#);
        out.extend_from_slice(self.id.as_bytes());
        out.extend_from_slice(br#"","name":"#);
        serde_json::to_writer(&mut *out, self.name)?;
        out.extend_from_slice(br#","hint":"#);
        serde_json::to_writer(&mut *out, self.hint.as_str())?;
        out.extend_from_slice(match self.kind {
            Kind::Project => br#","kind":"project","environment":"#,
            Kind::Organisation => br#","kind":"organisation","environment":"#,
        });
        out.extend_from_slice(match self.environment {
            Some(Environment::Production) => br#""production","organisation_id":""#,
            Some(Environment::Development) => br#""development","organisation_id":""#,
            None => br#"null,"organisation_id":""#,
        });
        out.extend_from_slice(self.organisation_id.as_bytes());
        match &self.project_id {
            Some(project) => {
                out.extend_from_slice(br#"","project_id":""#);
                out.extend_from_slice(project.as_bytes());
                out.extend_from_slice(br#"","permissions":"#);
            }
            None => out.extend_from_slice(br#"","project_id":null,"permissions":"#),
        }
        out.extend_from_slice(permissions_json(self.permissions.0).get().as_bytes());
        out.extend_from_slice(br#","scopes":"#);
        out.extend_from_slice(scopes_json(self.scopes.0).get().as_bytes());
        out.extend_from_slice(br#","expires_at":"#);
        serde_json::to_writer(&mut *out, &self.expires_at)?;
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// A permission set as the list of its names (serialised without collecting them).
pub struct PermissionList(pub PermissionSet);

impl Serialize for PermissionList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        permissions_json(self.0).serialize(serializer)
    }
}

impl<'a> From<&'a KeyFacts> for KeyInfo<'a> {
    fn from(key: &'a KeyFacts) -> Self {
        let (kind, environment) = match key.key_type {
            KeyType::Production => (Kind::Project, Some(Environment::Production)),
            KeyType::Development => (Kind::Project, Some(Environment::Development)),
            KeyType::Organisation => (Kind::Organisation, None),
        };
        Self {
            id: key.id(),
            name: key.name(),
            hint: key.hint(),
            kind,
            environment,
            organisation_id: key.org_id_text(),
            project_id: key.project_id(),
            permissions: PermissionList(key.permissions),
            scopes: ScopeList(key.permissions),
            expires_at: key.expires_at(),
        }
    }
}

/// A project.
#[derive(Serialize, ToSchema)]
pub struct ProjectInfo {
    /// Id (the `GT_PROJECT_ID`).
    pub id: String,
    /// The organisation.
    pub organisation_id: String,
    /// Name.
    pub name: String,
    /// Default locale (BCP 47).
    pub default_locale: String,
    /// Creation time, unix milliseconds.
    pub created_at: i64,
}

impl From<Project> for ProjectInfo {
    fn from(p: Project) -> Self {
        Self {
            id: p.id.0,
            organisation_id: p.org_id.0,
            name: p.name,
            default_locale: p.default_locale,
            created_at: p.created_at,
        }
    }
}

/// `POST /api/v1/projects`.
#[derive(Deserialize, ToSchema)]
pub struct NewProject {
    #[schema(schema_with = project_name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = default_locale)]
    pub default_locale: Option<String>,
}

/// `PATCH /api/v1/projects/{project_id}`: the fields to change.
#[derive(Deserialize, ToSchema)]
pub struct ProjectChanges {
    #[serde(default)]
    #[schema(schema_with = new_project_name)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(schema_with = new_default_locale)]
    pub default_locale: Option<String>,
}

/// `client_ip`: an IPv4 or an IPv6 address (a network, a host name or any other text is a
/// 422), or null.
/// A string in an IP address format (`ipv4` or `ipv6`).
pub(super) fn address(format: KnownFormat, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .format(Some(SchemaFormat::KnownFormat(format)))
        .description(Some(description))
        .build()
}

fn client_ip() -> Schema {
    OneOfBuilder::new()
        .item(address(KnownFormat::Ipv4, "An IPv4 address"))
        .item(address(KnownFormat::Ipv6, "An IPv6 address"))
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::Null))
                .build(),
        )
        .description(Some(
            "The address the key was presented from; needed for keys with an IP allow-list.",
        ))
        .build()
        .into()
}

// The schemas of names and locales, from the rules `validation::name` and
// `validation::locale` check (one statement of each rule).

fn project_name() -> Object {
    text_schema(
        "Name: 1 to 100 characters, no control characters, no invisible formatting \
         characters (bidi overrides, zero-width spaces; the pattern lists those of the \
         Basic Multilingual Plane), no surrounding whitespace.",
        validation::name_pattern(),
        1,
        validation::MAX_NAME_CHARS,
        false,
    )
}

fn new_project_name() -> Object {
    text_schema(
        "New name: as for a new project.",
        validation::name_pattern(),
        1,
        validation::MAX_NAME_CHARS,
        true,
    )
}

fn default_locale() -> Object {
    text_schema(
        "Default locale (BCP 47, e.g. `en`, `en-US`, `zh-Hant`); `en` when omitted.",
        validation::LOCALE_PATTERN.to_owned(),
        2,
        validation::MAX_LOCALE_CHARS,
        true,
    )
}

fn new_default_locale() -> Object {
    text_schema(
        "New default locale (BCP 47, e.g. `en`, `en-US`, `zh-Hant`).",
        validation::LOCALE_PATTERN.to_owned(),
        2,
        validation::MAX_LOCALE_CHARS,
        true,
    )
}

/// A string schema (`null` allowed when `nullable`).
fn text_schema(
    description: &str,
    pattern: String,
    min_length: usize,
    max_length: usize,
    nullable: bool,
) -> Object {
    let schema_type = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(Some(min_length))
        .max_length(Some(max_length))
        .build()
}
