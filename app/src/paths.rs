//! Every dashboard URL, built in one place: links, redirects and dialog close targets
//! call these instead of formatting paths by hand. (The routes themselves are declared
//! in `lib.rs`, where `path!` needs literals; the test below pins the shapes.)

use std::fmt::Display;

/// `/orgs/{org}`: the organisation's home (its projects).
pub fn org(org_id: impl Display) -> String {
    format!("/orgs/{org_id}")
}

/// `/orgs/{org}/{section}` (`api-keys`, `members`, `audit-log`), or the home for `""`.
pub fn org_section(org_id: impl Display, section: &str) -> String {
    if section.is_empty() {
        org(org_id)
    } else {
        format!("/orgs/{org_id}/{section}")
    }
}

/// `/orgs/{org}/members`.
pub fn members(org_id: impl Display) -> String {
    org_section(org_id, "members")
}

/// `/orgs/{org}/projects/{project}`: the base of a project's pages.
pub fn project(org_id: impl Display, project_id: impl Display) -> String {
    format!("/orgs/{org_id}/projects/{project_id}")
}

/// `/orgs/{org}/projects/{project}/settings`.
pub fn project_settings(org_id: impl Display, project_id: impl Display) -> String {
    format!("{}/settings", project(org_id, project_id))
}

/// The keys page of a scope: a project's, or the organisation's own keys.
pub fn keys(org_id: impl Display, project_id: Option<&str>) -> String {
    match project_id {
        Some(p) => format!("{}/api-keys", project(org_id, p)),
        None => org_section(org_id, "api-keys"),
    }
}

/// A key's detail page: under its project's keys, or the organisation's.
pub fn key(org_id: impl Display, project_id: Option<&str>, key_id: impl Display) -> String {
    format!("{}/{key_id}", keys(org_id, project_id))
}

/// `/orgs/{org}/settings`: the organisation's settings (key policy).
pub fn org_settings(org_id: impl Display) -> String {
    org_section(org_id, "settings")
}

/// `/orgs/{org}/webhooks`: the organisation's webhook endpoints.
pub fn webhooks(org_id: impl Display) -> String {
    org_section(org_id, "webhooks")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_the_routes_of_the_spec() {
        assert_eq!(org("o"), "/orgs/o");
        assert_eq!(org_section("o", ""), "/orgs/o");
        assert_eq!(org_section("o", "audit-log"), "/orgs/o/audit-log");
        assert_eq!(members("o"), "/orgs/o/members");
        assert_eq!(project_settings("o", "p"), "/orgs/o/projects/p/settings");
        assert_eq!(keys("o", Some("p")), "/orgs/o/projects/p/api-keys");
        assert_eq!(keys("o", None), "/orgs/o/api-keys");
        assert_eq!(key("o", Some("p"), "k"), "/orgs/o/projects/p/api-keys/k");
        assert_eq!(key("o", None, "k"), "/orgs/o/api-keys/k");
        assert_eq!(org_settings("o"), "/orgs/o/settings");
        assert_eq!(webhooks("o"), "/orgs/o/webhooks");
    }
}
