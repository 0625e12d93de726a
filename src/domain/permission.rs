//! The permission model.
//!
//! Project keys hold every permission inside their own project except
//! `project_creation`; organisation keys hold exactly what was chosen in the selector.
//! `write` includes `read`, always: a [`PermissionSet`] is kept normalised so a check for
//! `files:read` passes on a key that holds `files:write`.

use super::UnknownText;
pub use super::level::{InvalidLevel, Level};
use serde::{Deserialize, Serialize};
use std::fmt;
use strum::{Display, EnumString, IntoStaticStr};

/// One permission string of the spec. Each also parses from General Translation's own
/// scope name (e.g. `project:files:read`), so GT's tooling works unchanged; it displays
/// as ours ([`Permission::as_str`]) and as GT's through [`Permission::gt_scope`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Display, EnumString, IntoStaticStr,
)]
#[strum(parse_err_ty = UnknownText, parse_err_fn = unknown_permission)]
pub enum Permission {
    /// `files:read`
    #[strum(to_string = "files:read", serialize = "project:files:read")]
    FilesRead,
    /// `files:write` (includes `files:read`)
    #[strum(to_string = "files:write", serialize = "project:files:write")]
    FilesWrite,
    /// `context:read`
    #[strum(to_string = "context:read", serialize = "project:context:read")]
    ContextRead,
    /// `context:write` (includes `context:read`)
    #[strum(to_string = "context:write", serialize = "project:context:write")]
    ContextWrite,
    /// `runtime_translation`
    #[strum(
        to_string = "runtime_translation",
        serialize = "project:translations:generate"
    )]
    RuntimeTranslation,
    /// `translation_queue`
    #[strum(
        to_string = "translation_queue",
        serialize = "project:translations:enqueue"
    )]
    TranslationQueue,
    /// `project_settings`
    #[strum(to_string = "project_settings", serialize = "project:write")]
    ProjectSettings,
    /// `project_creation` (organisation-wide)
    #[strum(to_string = "project_creation", serialize = "org:projects:create")]
    ProjectCreation,
    /// `api_keys:read`: list and read keys through the key management REST API.
    /// Organisation keys only.
    #[strum(to_string = "api_keys:read", serialize = "project:api_keys:read")]
    ApiKeysRead,
    /// `api_keys:write` (includes `api_keys:read`): create, change, rotate and revoke
    /// keys through the REST API. Organisation keys only.
    #[strum(to_string = "api_keys:write", serialize = "project:api_keys:write")]
    ApiKeysWrite,
}

impl Permission {
    /// Every permission, in display order. Its position is the permission's bit in the
    /// storage form: append, never reorder.
    pub const ALL: [Permission; 10] = [
        Self::FilesRead,
        Self::FilesWrite,
        Self::ContextRead,
        Self::ContextWrite,
        Self::RuntimeTranslation,
        Self::TranslationQueue,
        Self::ProjectSettings,
        Self::ProjectCreation,
        Self::ApiKeysRead,
        Self::ApiKeysWrite,
    ];

    /// The permission string, e.g. `files:write`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// General Translation's name for it, e.g. `project:files:write`.
    pub const fn gt_scope(self) -> &'static str {
        match self {
            Self::FilesRead => "project:files:read",
            Self::FilesWrite => "project:files:write",
            Self::ContextRead => "project:context:read",
            Self::ContextWrite => "project:context:write",
            Self::RuntimeTranslation => "project:translations:generate",
            Self::TranslationQueue => "project:translations:enqueue",
            Self::ProjectSettings => "project:write",
            Self::ProjectCreation => "org:projects:create",
            Self::ApiKeysRead => "project:api_keys:read",
            Self::ApiKeysWrite => "project:api_keys:write",
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The permission this one includes (`write` includes `read`).
    pub const fn implied(self) -> Option<Permission> {
        match self {
            Self::FilesWrite => Some(Self::FilesRead),
            Self::ContextWrite => Some(Self::ContextRead),
            Self::ApiKeysWrite => Some(Self::ApiKeysRead),
            _ => None,
        }
    }
}

fn unknown_permission(text: &str) -> UnknownText {
    const EXPECTED: &str = "one of files:read, files:write, context:read, context:write, \
        runtime_translation, translation_queue, project_settings, project_creation, \
        api_keys:read, api_keys:write (or General Translation's scope names, e.g. \
        project:files:read)";
    UnknownText::of("permission", text, EXPECTED)
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A normalised set of permissions: every `write` carries its `read`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u16);

impl PermissionSet {
    const ALL_BITS: u16 = (1 << Permission::ALL.len()) - 1;

    /// No permission.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The "Full access" preset of an organisation key: every permission but key
    /// management (`api_keys:*`), which no preset grants: it is always chosen on its own.
    pub const fn full() -> Self {
        Self(Self::ALL_BITS & !Self::KEY_MANAGEMENT)
    }

    /// The key management permissions, `api_keys:read` and `api_keys:write`.
    const KEY_MANAGEMENT: u16 = Permission::ApiKeysRead.bit() | Permission::ApiKeysWrite.bit();

    /// Whether the set grants any key management permission (`api_keys:*`).
    pub const fn has_key_management(&self) -> bool {
        self.0 & Self::KEY_MANAGEMENT != 0
    }

    /// What a project key holds inside its own project: everything but
    /// `project_creation`, which is organisation-wide, and `api_keys:*` (a leaked project
    /// key must not be able to mint more keys).
    pub fn project_key() -> Self {
        let mut set = Self::full();
        set.0 &= !Permission::ProjectCreation.bit();
        set
    }

    /// The "Read only" preset: read access to files and context.
    pub fn read_only() -> Self {
        [Permission::FilesRead, Permission::ContextRead]
            .into_iter()
            .collect()
    }

    /// Adds a permission and what it implies.
    pub fn insert(&mut self, permission: Permission) {
        self.0 |= permission.bit();
        if let Some(implied) = permission.implied() {
            self.0 |= implied.bit();
        }
    }

    /// Removes a permission and whatever implies it (removing `files:read` also removes
    /// `files:write`, so the set stays normalised).
    pub fn remove(&mut self, permission: Permission) {
        self.0 &= !permission.bit();
        for p in Permission::ALL {
            if p.implied() == Some(permission) {
                self.0 &= !p.bit();
            }
        }
    }

    /// Whether the set grants `permission` (directly or through a `write`).
    pub const fn contains(&self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether the set grants nothing.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether every permission of `other` is granted.
    pub const fn is_superset(&self, other: &PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets' permissions.
    pub const fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    /// The permissions in both sets.
    pub const fn intersection(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    /// The permissions of `required` that this set lacks.
    pub fn missing(&self, required: &PermissionSet) -> PermissionSet {
        PermissionSet(required.0 & !self.0)
    }

    /// The permissions granted, in display order.
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        Permission::ALL.into_iter().filter(|p| self.contains(*p))
    }

    /// The permission strings granted, in display order.
    pub fn to_strings(&self) -> Vec<String> {
        self.iter().map(|p| p.as_str().to_owned()).collect()
    }

    /// The same as General Translation's scope names, in the same order.
    pub fn gt_scopes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.iter().map(Permission::gt_scope)
    }

    /// The storage form: a bit mask. Stable across versions (bit = position in
    /// [`Permission::ALL`]); never reorder that list.
    pub const fn bits(&self) -> i64 {
        self.0 as i64
    }

    /// The same bits, at their own width (for packing into atomics).
    pub const fn bits_u16(&self) -> u16 {
        self.0
    }

    /// Reads the storage form, normalising it; unknown bits are an error.
    pub fn from_bits(bits: i64) -> Option<Self> {
        let bits = u16::try_from(bits).ok()?;
        if bits & !Self::ALL_BITS != 0 {
            return None;
        }
        let mut set = Self::empty();
        for p in Permission::ALL {
            if bits & p.bit() != 0 {
                set.insert(p);
            }
        }
        Some(set)
    }

    /// Parses permission strings (as the CLI and API receive them).
    pub fn parse_all<I, S>(items: I) -> Result<Self, UnknownText>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = Self::empty();
        for item in items {
            set.insert(item.as_ref().trim().parse()?);
        }
        Ok(set)
    }

    /// The level this set grants on one resource.
    pub fn level(&self, resource: Resource) -> Level {
        let (first, second) = resource.permissions();
        match second {
            Some(write) if self.contains(write) => Level::Write,
            Some(_) if self.contains(first) => Level::Read,
            None if self.contains(first) => Level::Enabled,
            _ => Level::NoAccess,
        }
    }

    /// Sets one resource to a level, replacing what it had. A level the resource does not
    /// offer (e.g. `Read` on "Runtime translation") is an error.
    pub fn set_level(&mut self, resource: Resource, level: Level) -> Result<(), InvalidLevel> {
        if !resource.levels().contains(&level) {
            return Err(InvalidLevel { resource, level });
        }
        let (first, second) = resource.permissions();
        self.remove(first);
        if let Some(second) = second {
            self.remove(second);
        }
        match (level, second) {
            (Level::NoAccess, _) => {}
            (Level::Read, Some(_)) | (Level::Enabled, None) => self.insert(first),
            (Level::Write, Some(write)) => self.insert(write),
            _ => return Err(InvalidLevel { resource, level }),
        }
        Ok(())
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Permission::as_str))
            .finish()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        let mut set = Self::empty();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Permission>::deserialize(deserializer)?;
        Ok(items.into_iter().collect())
    }
}

/// A resource of the permission selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Files: No access / Read / Write.
    Files,
    /// Context: No access / Read / Write.
    Context,
    /// Runtime translation: No access / Enabled.
    RuntimeTranslation,
    /// Translation queue: No access / Enabled.
    TranslationQueue,
    /// Project settings: No access / Enabled.
    ProjectSettings,
    /// Project creation: No access / Enabled.
    ProjectCreation,
    /// API keys: No access / Read / Write (organisation keys only).
    ApiKeys,
}

impl Resource {
    /// Every resource, in the selector's order.
    pub const ALL: [Resource; 7] = [
        Self::Files,
        Self::Context,
        Self::RuntimeTranslation,
        Self::TranslationQueue,
        Self::ProjectSettings,
        Self::ProjectCreation,
        Self::ApiKeys,
    ];

    /// The name of the resource's radio group in the permission selector's form (its
    /// JSON name too).
    pub const fn form_name(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Context => "context",
            Self::RuntimeTranslation => "runtime_translation",
            Self::TranslationQueue => "translation_queue",
            Self::ProjectSettings => "project_settings",
            Self::ProjectCreation => "project_creation",
            Self::ApiKeys => "api_keys",
        }
    }

    /// The selector's label (also the radio group's accessible name).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Files => "Files",
            Self::Context => "Context",
            Self::RuntimeTranslation => "Runtime translation",
            Self::TranslationQueue => "Translation queue",
            Self::ProjectSettings => "Project settings",
            Self::ProjectCreation => "Project creation",
            Self::ApiKeys => "API keys",
        }
    }

    /// The levels offered for this resource.
    pub const fn levels(self) -> &'static [Level] {
        match self {
            Self::Files | Self::Context | Self::ApiKeys => {
                &[Level::NoAccess, Level::Read, Level::Write]
            }
            _ => &[Level::NoAccess, Level::Enabled],
        }
    }

    /// `(read, Some(write))` for leveled resources, `(enabled, None)` for toggles.
    const fn permissions(self) -> (Permission, Option<Permission>) {
        match self {
            Self::Files => (Permission::FilesRead, Some(Permission::FilesWrite)),
            Self::Context => (Permission::ContextRead, Some(Permission::ContextWrite)),
            Self::RuntimeTranslation => (Permission::RuntimeTranslation, None),
            Self::TranslationQueue => (Permission::TranslationQueue, None),
            Self::ProjectSettings => (Permission::ProjectSettings, None),
            Self::ProjectCreation => (Permission::ProjectCreation, None),
            Self::ApiKeys => (Permission::ApiKeysRead, Some(Permission::ApiKeysWrite)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn write_implies_read_everywhere() {
        let set: PermissionSet = [Permission::FilesWrite, Permission::ContextWrite]
            .into_iter()
            .collect();
        assert!(set.contains(Permission::FilesRead));
        assert!(set.contains(Permission::ContextRead));
        assert_eq!(set.level(Resource::Files), Level::Write);
        let from_bits =
            PermissionSet::from_bits(Permission::FilesWrite.bit().into()).expect("valid bits");
        assert!(from_bits.contains(Permission::FilesRead));
        let parsed: PermissionSet = serde_json::from_str(r#"["context:write"]"#).expect("json");
        assert_eq!(parsed.to_strings(), ["context:read", "context:write"]);
    }

    #[test]
    fn removing_read_removes_write() {
        let mut set: PermissionSet = [Permission::FilesWrite].into_iter().collect();
        set.remove(Permission::FilesRead);
        assert!(set.is_empty());
    }

    #[test]
    fn project_key_set_excludes_project_creation_and_key_management() {
        let set = PermissionSet::project_key();
        for p in Permission::ALL {
            let organisation_only = matches!(
                p,
                Permission::ProjectCreation | Permission::ApiKeysRead | Permission::ApiKeysWrite
            );
            assert_eq!(set.contains(p), !organisation_only, "{p}");
        }
        assert!(!set.has_key_management());
    }

    #[test]
    fn full_access_preset_excludes_key_management() {
        let full = PermissionSet::full();
        assert!(full.contains(Permission::ProjectCreation));
        assert!(!full.has_key_management());
        assert_eq!(full.level(Resource::ApiKeys), Level::NoAccess);
    }

    #[test]
    fn gt_scope_names_parse_to_the_same_permissions() {
        for p in Permission::ALL {
            assert_eq!(
                p.gt_scope().parse::<Permission>(),
                Ok(p),
                "{}",
                p.gt_scope()
            );
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            // Ours is what it displays as, whichever name it was parsed from.
            assert_eq!(p.to_string(), p.as_str());
        }
        let set = PermissionSet::parse_all(["project:files:write", "project:api_keys:write"])
            .expect("GT names");
        assert_eq!(
            set.to_strings(),
            [
                "files:read",
                "files:write",
                "api_keys:read",
                "api_keys:write"
            ]
        );
        assert_eq!(
            set.gt_scopes().collect::<Vec<_>>(),
            [
                "project:files:read",
                "project:files:write",
                "project:api_keys:read",
                "project:api_keys:write"
            ]
        );
        assert!("project:files".parse::<Permission>().is_err());
    }

    #[test]
    fn missing_names_what_is_not_granted() {
        let held = PermissionSet::read_only();
        let wanted = PermissionSet::parse_all(["files:write", "context:read"]).expect("valid");
        assert_eq!(held.missing(&wanted).to_strings(), ["files:write"]);
    }

    #[test]
    fn set_level_rejects_levels_a_resource_lacks() {
        let mut set = PermissionSet::empty();
        assert!(
            set.set_level(Resource::RuntimeTranslation, Level::Read)
                .is_err()
        );
        assert!(set.set_level(Resource::Files, Level::Enabled).is_err());
        set.set_level(Resource::Files, Level::Write).expect("valid");
        set.set_level(Resource::Files, Level::Read).expect("valid");
        assert_eq!(set.to_strings(), ["files:read"]);
    }

    #[test]
    fn from_bits_rejects_unknown_bits() {
        assert!(PermissionSet::from_bits(1 << 12).is_none());
        assert!(PermissionSet::from_bits(1 << 10).is_none());
        assert!(PermissionSet::from_bits(-1).is_none());
    }

    proptest! {
        #[test]
        fn every_permission_string_roundtrips(p in proptest::sample::select(Permission::ALL.to_vec())) {
            prop_assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
            let json = serde_json::to_string(&p).expect("serialise");
            prop_assert_eq!(serde_json::from_str::<Permission>(&json).expect("parse"), p);
        }

        #[test]
        fn permission_sets_roundtrip_through_strings_and_bits(bits in 0u16..256) {
            let set = PermissionSet::from_bits(bits.into()).expect("known bits");
            let reparsed = PermissionSet::parse_all(set.to_strings()).expect("strings parse");
            prop_assert_eq!(reparsed, set);
            prop_assert_eq!(PermissionSet::from_bits(set.bits()), Some(set));
            // Normalised: no write without its read.
            for p in set.iter() {
                if let Some(implied) = p.implied() {
                    prop_assert!(set.contains(implied));
                }
            }
        }

        #[test]
        fn levels_roundtrip_for_every_resource(
            resource in proptest::sample::select(Resource::ALL.to_vec()),
            level_index in 0usize..3,
        ) {
            let levels = resource.levels();
            let level = levels[level_index % levels.len()];
            let mut set = PermissionSet::full();
            set.set_level(resource, level).expect("offered level");
            prop_assert_eq!(set.level(resource), level);
        }
    }
}
