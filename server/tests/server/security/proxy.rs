//! Behind a reverse proxy: the client address comes from `X-Forwarded-For` only through
//! a trusted proxy, and sign-in throttling (OWASP's device-cookie scheme) cannot be
//! turned against the account's owner or against other accounts.

use super::{org_with_user, sign_in_fields};
use crate::common::{PASSWORD, Reply, TestApp, form, sf_request};
use axum::body::Body;
use axum::http::{StatusCode, header};
use gtx_core::db::repo::audit::AuditFilter;
use gtx_core::domain::key_list::PageRequest;
use gtx_core::domain::{OrgId, Role};
use gtx_core::services::{Actor, DEVICE_COOKIE, SESSION_COOKIE};
use std::net::SocketAddr;

/// The tests' trusted proxy (see `common::test_http_settings`).
fn proxy() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40_000))
}

/// `sign_in` as a browser behind the proxy at `forwarded_for` sends it, with the
/// browser's device cookie when it has one.
async fn sign_in_via_proxy(
    app: &TestApp,
    forwarded_for: &str,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> Reply {
    let mut request = sf_request("sign_in", None)
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", forwarded_for);
    if let Some(device) = device {
        request = request.header(header::COOKIE, format!("{DEVICE_COOKIE}={device}"));
    }
    let body = Body::from(form(&sign_in_fields(email, password)));
    app.send_from(proxy(), request.body(body).expect("request"))
        .await
}

/// [`sign_in_via_proxy`] to Ada's account (the one the tests attack).
async fn ada_via_proxy(
    app: &TestApp,
    forwarded_for: &str,
    password: &str,
    device: Option<&str>,
) -> Reply {
    sign_in_via_proxy(app, forwarded_for, "ada@acme.example", password, device).await
}

async fn failed_sign_ins_behind_a_proxy_lock_out_neither_the_owner_nor_others(app: &TestApp) {
    let org = org_with_user(app, "ada@acme.example", Role::Admin).await;
    app.create_user(&org, "bob@acme.example", Role::Member)
        .await;
    // Ada signs in from her own browser once: it gets a device cookie for her account.
    let first = ada_via_proxy(app, "198.51.100.7", PASSWORD, None).await;
    first.assert_status(StatusCode::OK);
    let device = first
        .set_cookie_value(DEVICE_COOKIE)
        .expect("a device cookie");
    let line = first
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|l| l.starts_with(DEVICE_COOKIE))
        .expect("device cookie line")
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(line.contains(attribute), "{line}");
    }

    // 100 wrong passwords for Ada's account from 50 forwarded addresses.
    let mut refused = 0;
    for i in 0..100 {
        let reply = ada_via_proxy(
            app,
            &format!("6.6.6.6, 203.0.113.{}", i % 50),
            "not her password",
            None,
        )
        .await;
        match reply.status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("attempt {i}: {other} {}", reply.body),
        }
        assert!(reply.set_cookie_value(SESSION_COOKIE).is_none());
    }
    // Five were judged, the account is then locked for strangers.
    assert_eq!(refused, 95);
    let stranger = ada_via_proxy(app, "203.0.113.200", PASSWORD, None).await;
    stranger.assert_status(StatusCode::TOO_MANY_REQUESTS);

    // Ada's own browser still signs in, with its device cookie and the right password.
    let ada = ada_via_proxy(app, "198.51.100.7", PASSWORD, Some(&device)).await;
    ada.assert_status(StatusCode::OK);
    assert!(ada.set_cookie_value(SESSION_COOKIE).is_some());
    // A device cookie of another account, or a forged one, does not help a stranger.
    let last = if device.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &device[..device.len() - 1]);
    let reply = ada_via_proxy(app, "203.0.113.201", PASSWORD, Some(&forged)).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);

    // Another account signs in from another address.
    let bob = sign_in_via_proxy(app, "192.0.2.44", "bob@acme.example", PASSWORD, None).await;
    bob.assert_status(StatusCode::OK);
    let bob_device = bob
        .set_cookie_value(DEVICE_COOKIE)
        .expect("bob's device cookie");
    // Bob's device cookie is not Ada's.
    let reply = ada_via_proxy(app, "192.0.2.44", PASSWORD, Some(&bob_device)).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
}

async fn device_cookie_has_a_budget_of_its_own(app: &TestApp) {
    org_with_user(app, "ada@acme.example", Role::Admin).await;
    let first = ada_via_proxy(app, "198.51.100.7", PASSWORD, None).await;
    let device = first
        .set_cookie_value(DEVICE_COOKIE)
        .expect("device cookie");
    // Wrong passwords from the trusted browser count against its cookie alone...
    for i in 0..10 {
        let reply = ada_via_proxy(app, "198.51.100.7", "wrong password!", Some(&device)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            reply.body
        );
    }
    // ...so the account is not locked for strangers by them,
    let other = ada_via_proxy(app, "198.51.100.8", PASSWORD, None).await;
    other.assert_status(StatusCode::OK);
    // but the spent cookie is now an untrusted client like any other: it counts against
    // the account again (five more failures lock the account for strangers).
    for _ in 0..5 {
        let reply = ada_via_proxy(app, "198.51.100.7", "wrong password!", Some(&device)).await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
    }
    let reply = ada_via_proxy(app, "198.51.100.9", PASSWORD, None).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
}

/// The addresses the audit log recorded for failed sign-ins, newest first.
async fn audited_addresses(app: &TestApp, org: &OrgId) -> Vec<Option<String>> {
    app.services
        .list_audit(
            &Actor::operator(),
            org,
            &AuditFilter {
                action: Some("auth.sign_in_failed".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit")
        .rows
        .into_iter()
        .map(|e| e.ip)
        .collect()
}

async fn forwarded_for_is_read_only_from_a_trusted_proxy(app: &TestApp) {
    let org = org_with_user(app, "ada@acme.example", Role::Admin).await;
    let attempt = |peer: SocketAddr, forwarded: &'static str| async move {
        let request = sf_request("sign_in", None)
            .header("sec-fetch-site", "same-origin")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(form(&sign_in_fields(
                "ada@acme.example",
                "wrong password!",
            ))))
            .expect("request");
        let reply = app.send_from(peer, request).await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
    };
    // An untrusted peer's X-Forwarded-For is ignored: the peer is the client.
    attempt(SocketAddr::from(([203, 0, 113, 50], 1234)), "198.51.100.1").await;
    assert_eq!(
        audited_addresses(app, &org).await[0].as_deref(),
        Some("203.0.113.50")
    );
    // Through the trusted proxy, the rightmost untrusted hop is the client (the leftmost
    // entry was written by the client itself and proves nothing).
    attempt(proxy(), "1.2.3.4, 198.51.100.1").await;
    assert_eq!(
        audited_addresses(app, &org).await[0].as_deref(),
        Some("198.51.100.1")
    );
    // An IPv6 client through the proxy.
    attempt(proxy(), "2001:db8:7:7::1").await;
    assert_eq!(
        audited_addresses(app, &org).await[0].as_deref(),
        Some("2001:db8:7:7::1")
    );
}

async fn ipv6_clients_are_limited_per_64(app: &TestApp) {
    org_with_user(app, "ada@acme.example", Role::Admin).await;
    for i in 0..20 {
        // Twenty accounts (unknown ones cost the same), from twenty addresses of one /64.
        let reply = sign_in_via_proxy(
            app,
            &format!("2001:db8:1:2::{:x}", i + 1),
            &format!("nobody{i}@acme.example"),
            "wrong password!",
            None,
        )
        .await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
    }
    let same_64 = ada_via_proxy(app, "2001:db8:1:2:ffff::1", PASSWORD, None).await;
    same_64.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let next_64 = ada_via_proxy(app, "2001:db8:1:3::1", PASSWORD, None).await;
    next_64.assert_status(StatusCode::OK);
}

on_both_backends!(
    failed_sign_ins_behind_a_proxy_lock_out_neither_the_owner_nor_others,
    device_cookie_has_a_budget_of_its_own,
    forwarded_for_is_read_only_from_a_trusted_proxy,
    ipv6_clients_are_limited_per_64,
);
