//! Request and response bodies of the key management REST API, with their OpenAPI
//! schemas. No body holds a key except [`ChangedKey`], the one answer that reveals one.

use super::types::{Environment, Kind, PermissionList, ScopeList, address};
use super::types::{PermissionName, PermissionOrScope, ScopeName};
use gtx_core::db::models::ApiKeyRecord;
use gtx_core::domain::ip_allowlist::MAX_NETWORKS;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::usage::UsageRange;
use gtx_core::domain::usage::{Outcome, OutcomeCounts};
use gtx_core::domain::validation;
use gtx_core::domain::{KeyStatus, KeyType};
use gtx_core::services::KeyDetail;
use serde::{Deserialize, Serialize};
use utoipa::PartialSchema;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::{IntoParams, ToSchema};

/// A time in unix ms, or null: a JSON integer, or a number with no fraction (`1.8e12` is
/// an integer to JSON Schema, and to many clients' encoders).
fn integral_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(ms) = number.as_i64() {
        return Ok(Some(ms));
    }
    match number.as_f64() {
        // Within ±2^53, where every integer is exact.
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(
            "expected an integer (unix milliseconds)",
        )),
    }
}

/// A key's status now.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Works.
    Active,
    /// Works, but stops within 7 days (or at the end of a rotation's grace period).
    Expiring,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
    /// Disabled until enabled again.
    Disabled,
}

impl From<KeyStatus> for Status {
    fn from(status: KeyStatus) -> Self {
        match status {
            KeyStatus::Active => Self::Active,
            KeyStatus::Expiring => Self::Expiring,
            KeyStatus::Expired => Self::Expired,
            KeyStatus::Revoked => Self::Revoked,
            KeyStatus::Disabled => Self::Disabled,
        }
    }
}

/// A key's metadata (never the key).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyInfo {
    /// Id.
    pub id: String,
    /// Name, unique among its scope's live keys.
    pub name: String,
    /// Masked form: prefix, first 4 and last 4 characters.
    pub hint: String,
    /// Project or organisation key.
    pub kind: Kind,
    /// Production or development (project keys); null for organisation keys.
    pub environment: Option<Environment>,
    /// The organisation.
    pub organisation_id: String,
    /// The project (project keys); null for organisation keys.
    pub project_id: Option<String>,
    /// Effective permissions (`write` includes `read`).
    #[schema(value_type = Vec<PermissionName>)]
    pub permissions: PermissionList,
    /// The same in General Translation's scope names.
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: ScopeList,
    /// Its status now.
    pub status: Status,
    /// What it is for ('' for nothing).
    pub description: String,
    /// The networks it may be used from (IPv4 and IPv6 CIDRs); empty for any address.
    pub allowed_ips: Vec<String>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Who created it: a person's email, `API key <name> (<hint>)`, or the operator.
    pub created_by: String,
    /// Expiry (unix ms); null for never.
    pub expires_at: Option<i64>,
    /// Revoked (unix ms); null while not.
    pub revoked_at: Option<i64>,
    /// Disabled since (unix ms); null while enabled.
    pub disabled_at: Option<i64>,
    /// Last used, to the minute (unix ms); null if never.
    pub last_used_at: Option<i64>,
    /// The key this one replaced by rotation.
    pub rotated_from: Option<String>,
    /// The key that replaced this one.
    pub replaced_by: Option<String>,
}

impl ApiKeyInfo {
    /// The metadata of `key`, its status at `now`.
    pub fn new(key: &ApiKeyRecord, now: i64) -> Self {
        let (kind, environment) = match key.key_type {
            KeyType::Production => (Kind::Project, Some(Environment::Production)),
            KeyType::Development => (Kind::Project, Some(Environment::Development)),
            KeyType::Organisation => (Kind::Organisation, None),
        };
        Self {
            id: key.id.as_str().to_owned(),
            name: key.name.clone(),
            hint: key.hint.clone(),
            kind,
            environment,
            organisation_id: key.org_id.as_str().to_owned(),
            project_id: key.project_id.as_ref().map(|p| p.as_str().to_owned()),
            permissions: PermissionList(key.permissions),
            scopes: ScopeList(key.permissions),
            status: key.status(now).into(),
            description: key.description.clone(),
            allowed_ips: key.ip_allowlist.networks().collect(),
            created_at: key.created_at,
            created_by: key.created_by_label.clone(),
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
            disabled_at: key.disabled_at,
            last_used_at: key.last_used_at,
            rotated_from: key.rotated_from.as_ref().map(|k| k.as_str().to_owned()),
            replaced_by: key.replaced_by.as_ref().map(|k| k.as_str().to_owned()),
        }
    }
}

/// A page of keys.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    /// The keys, newest first.
    pub api_keys: Vec<ApiKeyInfo>,
    /// This page, from 1 (the last one when a later page was asked for).
    pub page: u32,
    /// Keys per page.
    pub per_page: u32,
    /// Keys in the list, on every page (a lower bound for very long lists).
    pub total: u64,
}

/// Which page of a list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The page, from 1 (default 1).
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u32>,
    /// Keys per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// The usage range.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// `24h` (per hour), `7d` (per day, the default) or `30d` (per day).
    #[param(schema_with = since)]
    pub since: Option<String>,
}

/// `POST /api/v1/projects/{project_id}/api-keys`. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectKey {
    /// Name, unique among the project's live keys.
    #[schema(schema_with = key_name, example = "CI deploy")]
    pub name: String,
    /// `production` (`gtx-api-`) or `development` (`gtx-dev-`).
    pub environment: Environment,
    /// Expiry (unix ms), in the future and at most 5 years away (and within the
    /// organisation's maximum key lifetime); omitted or null for never.
    #[schema(schema_with = expires_at)]
    #[serde(default, deserialize_with = "integral_ms")]
    pub expires_at: Option<i64>,
    /// What it is for (at most 500 characters).
    #[schema(schema_with = description)]
    pub description: Option<String>,
    /// The networks it may be used from (addresses or CIDRs, IPv4 or IPv6; at most 50).
    #[schema(schema_with = allowed_ips, example = json!(["203.0.113.0/24"]))]
    pub allowed_ips: Option<Vec<String>>,
}

/// `POST /api/v1/api-keys`. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgKey {
    /// Name, unique among the organisation's live organisation keys.
    #[schema(schema_with = key_name, example = "Docs sync")]
    pub name: String,
    /// Its permissions (ours or General Translation's names), each one the calling key
    /// holds.
    #[schema(schema_with = permission_list, example = json!(["files:read"]))]
    pub permissions: Vec<String>,
    /// Expiry (unix ms), as for project keys.
    #[schema(schema_with = expires_at)]
    #[serde(default, deserialize_with = "integral_ms")]
    pub expires_at: Option<i64>,
    /// What it is for (at most 500 characters).
    #[schema(schema_with = description)]
    pub description: Option<String>,
    /// The networks it may be used from (addresses or CIDRs; at most 50).
    #[schema(schema_with = allowed_ips)]
    pub allowed_ips: Option<Vec<String>>,
}

/// `PATCH /api/v1/api-keys/{key_id}`: each field given is set. Unknown fields are
/// refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyChanges {
    /// A new name.
    #[schema(schema_with = new_key_name)]
    pub name: Option<String>,
    /// A new description ('' for none).
    #[schema(schema_with = description)]
    pub description: Option<String>,
    /// New permissions (organisation keys only).
    #[schema(schema_with = new_permission_list)]
    pub permissions: Option<Vec<String>>,
    /// Enable (true) or disable (false).
    pub enabled: Option<bool>,
    /// An earlier expiry (unix ms, in the future): a later one is a 409.
    #[schema(schema_with = expires_at)]
    #[serde(default, deserialize_with = "integral_ms")]
    pub expires_at: Option<i64>,
    /// A new allow-list; empty for any address.
    #[schema(schema_with = allowed_ips)]
    pub allowed_ips: Option<Vec<String>>,
}

/// `POST /api/v1/api-keys/{key_id}/rotate`. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// How long the old key keeps working: `now`, `1h`, `24h` or `7d`.
    #[schema(schema_with = grace, example = "1h")]
    pub grace: String,
}

/// A key just made (created, or the replacement of a rotation): the key, in this answer
/// and nowhere else, and its metadata. No `Debug`: it holds a key.
#[derive(Serialize, ToSchema)]
pub struct ChangedKey {
    /// The key. Store it now: it cannot be shown again.
    #[schema(example = "gtx-api-<49 base62 characters>")]
    pub key: String,
    /// Its metadata, as the list gives it.
    pub api_key: ApiKeyInfo,
}

/// Requests per outcome code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct Counts {
    /// Passed.
    pub valid: u64,
    /// Refused: revoked.
    pub revoked: u64,
    /// Refused: expired.
    pub expired: u64,
    /// Refused: disabled.
    pub disabled: u64,
    /// Refused: from outside its allow-list.
    pub ip_not_allowed: u64,
    /// Refused: another project.
    pub wrong_project: u64,
    /// Refused: lacking a permission.
    pub insufficient_permissions: u64,
}

impl From<&OutcomeCounts> for Counts {
    fn from(counts: &OutcomeCounts) -> Self {
        let of = |o: Outcome| counts[o.index()];
        Self {
            valid: of(Outcome::Valid),
            revoked: of(Outcome::Revoked),
            expired: of(Outcome::Expired),
            disabled: of(Outcome::Disabled),
            ip_not_allowed: of(Outcome::IpNotAllowed),
            wrong_project: of(Outcome::WrongProject),
            insufficient_permissions: of(Outcome::InsufficientPermissions),
        }
    }
}

/// One bucket of usage.
#[derive(Serialize, ToSchema)]
pub struct UsageBucket {
    /// Its start (unix ms).
    pub start: i64,
    /// Its requests.
    pub counts: Counts,
}

/// A key's usage over a range (as `gtx-keys key usage --json` prints it).
#[derive(Serialize, ToSchema)]
pub struct KeyUsage {
    /// The key.
    pub key_id: String,
    /// `24h`, `7d` or `30d`.
    pub since: &'static str,
    /// Each bucket's length: 3600 (24h) or 86400.
    pub bucket_seconds: i64,
    /// Requests over the whole range.
    pub totals: Counts,
    /// The buckets, oldest first.
    pub buckets: Vec<UsageBucket>,
}

impl KeyUsage {
    /// The usage in `detail`.
    pub fn new(detail: &KeyDetail) -> Self {
        let series = &detail.series;
        Self {
            key_id: detail.key.id.as_str().to_owned(),
            since: series.range.as_str(),
            bucket_seconds: series.range.bucket_ms() / 1000,
            totals: Counts::from(&series.totals()),
            buckets: series
                .buckets
                .iter()
                .enumerate()
                .map(|(i, counts)| UsageBucket {
                    start: series.start_of(i),
                    counts: counts.into(),
                })
                .collect(),
        }
    }
}

// The schemas of the request fields, from the rules the services check, so that every
// request the document allows is one the server takes (or refuses with 403, 404 or 409
// for the state it finds).

fn string_or_null(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

fn name_schema(nullable: bool, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(string_or_null(nullable))
        .description(Some(description))
        .pattern(Some(validation::name_pattern()))
        .min_length(Some(1))
        .max_length(Some(validation::MAX_NAME_CHARS))
        .build()
}

fn key_name() -> Object {
    name_schema(
        false,
        "Name: 1 to 100 characters, no control characters, no invisible formatting \
         characters, no surrounding whitespace; unique among the scope's live keys.",
    )
}

fn new_key_name() -> Object {
    name_schema(true, "A new name: as for a new key.")
}

fn description() -> Object {
    ObjectBuilder::new()
        .schema_type(string_or_null(true))
        .description(Some(
            "What the key is for: at most 500 characters, no control characters but line \
             breaks (\\n) and tabs, no surrounding whitespace; empty for none.",
        ))
        .pattern(Some(validation::description_pattern()))
        .max_length(Some(validation::MAX_DESCRIPTION_CHARS))
        .build()
}

/// Any integer: whether it is in the future, within 5 years and within the organisation's
/// policy depends on the time and the policy, so a time outside is a 409, not a 422.
fn expires_at() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(
            "Expiry in unix milliseconds; null or omitted for never. It must be in the \
             future, at most 5 years away and within the organisation's maximum key \
             lifetime, else the answer is 409 `expiry_out_of_range`.",
        ))
        .build()
}

/// An IPv6 CIDR: any IPv6 address written with hex groups (full or compressed), then
/// 0 to 128 bits.
const IPV6_CIDR: &str = r"^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}|:((:[0-9a-fA-F]{1,4}){1,7}|:))/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$";

/// An IPv4 CIDR (the address part any IPv4 address; bits 0 to 32).
const IPV4_CIDR: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$";

fn allowed_ips() -> ArrayBuilderOrNull {
    let item = AnyOfBuilder::new()
        .item(address(KnownFormat::Ipv4, "An IPv4 address"))
        .item(address(KnownFormat::Ipv6, "An IPv6 address"))
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .pattern(Some(IPV4_CIDR))
                .description(Some("An IPv4 network, e.g. 203.0.113.0/24"))
                .build(),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .pattern(Some(IPV6_CIDR))
                .description(Some("An IPv6 network, e.g. 2001:db8::/32"))
                .build(),
        )
        .description(Some("One address or one network (CIDR)."));
    ArrayBuilderOrNull(
        ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(item)
            .max_items(Some(MAX_NETWORKS))
            .description(Some(
                "The networks the key may be used from (at most 50); empty or null for any \
                 address.",
            )),
    )
}

/// An array schema that may be null (`schema_with` wants one type to return).
struct ArrayBuilderOrNull(ArrayBuilder);

impl From<ArrayBuilderOrNull> for utoipa::openapi::RefOr<Schema> {
    fn from(a: ArrayBuilderOrNull) -> Self {
        utoipa::openapi::RefOr::T(Schema::Array(a.0.build()))
    }
}

fn permission_list_schema(nullable: bool) -> ArrayBuilderOrNull {
    let types = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilderOrNull(
        ArrayBuilder::new()
            .schema_type(types)
            .items(PermissionOrScope::schema())
            .min_items(Some(1))
            .description(Some(
                "Permissions, in our names or General Translation's; at least one.",
            )),
    )
}

fn permission_list() -> ArrayBuilderOrNull {
    permission_list_schema(false)
}

fn new_permission_list() -> ArrayBuilderOrNull {
    permission_list_schema(true)
}

fn enum_schema<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

fn grace() -> Object {
    enum_schema(
        GracePeriod::ALL.map(GracePeriod::as_str),
        "How long the old key keeps working.",
    )
}

fn since() -> Object {
    enum_schema(
        UsageRange::ALL.map(UsageRange::as_str),
        "The range: 24h (per hour), 7d or 30d (per day).",
    )
}
