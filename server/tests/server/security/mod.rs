//! Security properties of the dashboard: the same-origin check, the session cookie and
//! its life, sign-in throttling, first-run setup, security headers, error statuses, and
//! secrets kept out of logs and storage.

mod bad_input;
pub mod hardening;
mod invites;
mod proxy;
mod same_origin;
mod sessions;
mod setup;

use crate::common::{PASSWORD, TestApp};
use gtx_core::domain::{OrgId, Role};
use gtx_core::services::Actor;

/// An organisation "Acme" with one user of `role` (password [`PASSWORD`]).
pub async fn org_with_user(app: &TestApp, email: &str, role: Role) -> OrgId {
    let org = app
        .services
        .create_org(&Actor::operator(), "Acme")
        .await
        .expect("org")
        .id;
    app.create_user(&org, email, role).await;
    org
}

/// An organisation with a signed-in admin: `(org, admin's session token)`.
pub async fn org_with_admin(app: &TestApp) -> (OrgId, String) {
    let org = org_with_user(app, "admin@acme.example", Role::Admin).await;
    let token = app.sign_in("admin@acme.example", PASSWORD).await;
    (org, token)
}

pub fn sign_in_fields<'a>(email: &'a str, password: &'a str) -> [(&'a str, &'a str); 2] {
    [("email", email), ("password", password)]
}

pub fn setup_fields<'a>(
    token: &'a str,
    email: &'a str,
    password: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("setup_token", token),
        ("org_name", "Acme"),
        ("email", email),
        ("password", password),
    ]
}
