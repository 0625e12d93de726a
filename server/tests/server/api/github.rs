//! `POST /api/v1/secret-scanning/github`, through the real router with a key pair the
//! test makes: a signed report revokes the live keys in it and labels every token; a
//! missing, tampered or replayed signature, or an unknown key id, is a 401 that changes
//! nothing; without a key file the endpoint is off.

use super::{World, assert_error, code_of};
use crate::common::{Reply, TestApp, send_through};
use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gtx_core::domain::{KeyType, OrgId};
use gtx_keys::api::github::{GithubKeys, GithubScanning};
use gtx_keys::router::router;
use gtx_keys::state::HttpSettings;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

const PATH: &str = "/api/v1/secret-scanning/github";
const KEY_ID: &str = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";

fn key_pair() -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("random");
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// GitHub's published key list holding `key`'s public half as `id`.
fn key_list(id: &str, key: &SigningKey) -> String {
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    json!({ "public_keys": [{ "key_identifier": id, "key": pem, "is_current": true }] }).to_string()
}

fn sign(key: &SigningKey, body: &str) -> String {
    let signature: Signature = key.sign(body.as_bytes());
    STANDARD.encode(signature.to_der().as_bytes())
}

/// The app's router with GitHub secret scanning on, trusting `key` as `KEY_ID`.
fn scanning_router(app: &TestApp, key: &SigningKey) -> axum::Router {
    let keys = GithubKeys::from_json(&key_list(KEY_ID, key)).expect("key list");
    let mut state = app.state();
    state.http = Arc::new(HttpSettings {
        github_scanning: GithubScanning(Some(Arc::new(keys))),
        ..crate::common::test_http_settings()
    });
    router(state)
}

async fn post(
    router: &axum::Router,
    body: &str,
    key_id: Option<&str>,
    signature: Option<&str>,
) -> Reply {
    let mut request = Request::post(PATH).header(header::CONTENT_TYPE, "application/json");
    if let Some(id) = key_id {
        request = request.header("Github-Public-Key-Identifier", id);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    let request = request.body(Body::from(body.to_owned())).expect("request");
    send_through(router, SocketAddr::from(([140, 82, 112, 1], 443)), request).await
}

fn report(tokens: &[&str]) -> String {
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "token": t,
                "type": "gt_api_key",
                "url": "https://github.com/example/app/blob/abc123/config.js",
                "source": "content",
            })
        })
        .collect();
    Value::from(items).to_string()
}

async fn leaked_rows(app: &TestApp, org: &OrgId) -> Vec<(String, Value)> {
    super::leaks::audited(app, org, "key.leaked").await
}

async fn github_report_revokes_live_keys_and_labels_every_token(app: &TestApp) {
    let w = World::build(app).await;
    let key = key_pair();
    let github = scanning_router(app, &key);
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    let unknown = gtx_core::keys::generate_key(KeyType::Production)
        .expose()
        .to_owned();
    let body = report(&[&w.prod.text, &unknown, "gtx-api-not-a-key"]);
    let reply = post(&github, &body, Some(KEY_ID), Some(&sign(&key, &body))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let labels: Vec<(String, String, String)> = reply
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|f| {
            (
                f["token_raw"].as_str().unwrap_or_default().to_owned(),
                f["token_type"].as_str().unwrap_or_default().to_owned(),
                f["label"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        (w.prod.text.as_str(), "true_positive"),
        (unknown.as_str(), "false_positive"),
        ("gtx-api-not-a-key", "false_positive"),
    ];
    assert_eq!(labels.len(), expected.len());
    for ((raw, kind, label), (want_raw, want_label)) in labels.iter().zip(expected) {
        assert_eq!(
            (raw.as_str(), kind.as_str(), label.as_str()),
            (want_raw, "gt_api_key", want_label)
        );
    }
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "REVOKED");
    let rows = leaked_rows(app, &w.org).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "leak report (GitHub secret scanning)");
    assert_eq!(
        rows[0].1["url"],
        "https://github.com/example/app/blob/abc123/config.js"
    );
    assert_eq!(rows[0].1["source"], "content");
    // Reported again (GitHub may), it is still one of ours: a true positive, no new row.
    let again = report(&[&w.prod.text]);
    let reply = post(&github, &again, Some(KEY_ID), Some(&sign(&key, &again))).await;
    assert_eq!(reply.json()[0]["label"], "true_positive", "{}", reply.body);
    assert_eq!(leaked_rows(app, &w.org).await.len(), 1);
}

async fn github_report_refuses_bad_signatures_and_changes_nothing(app: &TestApp) {
    let w = World::build(app).await;
    let key = key_pair();
    let github = scanning_router(app, &key);
    let body = report(&[&w.dev.text]);
    let signature = sign(&key, &body);
    let mut der = STANDARD.decode(&signature).expect("base64");
    let last = der.len() - 1;
    der[last] ^= 1;
    let tampered = STANDARD.encode(&der);
    let other_body = report(&[&w.prod.text]);
    let stranger = sign(&key_pair(), &body);
    let cases: [(&str, &str, Option<&str>, Option<&str>); 7] = [
        ("no headers", &body, None, None),
        ("no signature", &body, Some(KEY_ID), None),
        ("no key id", &body, None, Some(&signature)),
        ("tampered signature", &body, Some(KEY_ID), Some(&tampered)),
        ("wrong key id", &body, Some("another-key"), Some(&signature)),
        (
            "replayed on a different body",
            &other_body,
            Some(KEY_ID),
            Some(&signature),
        ),
        (
            "signed by another key",
            &body,
            Some(KEY_ID),
            Some(&stranger),
        ),
    ];
    for (what, body, key_id, signature) in cases {
        let reply = post(&github, body, key_id, signature).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_error(&reply, 401, "bad_signature");
        assert_eq!(
            code_of(app, &w.dev.text, None, &[]).await,
            "VALID",
            "{what}"
        );
        assert_eq!(
            code_of(app, &w.prod.text, None, &[]).await,
            "VALID",
            "{what}"
        );
    }
    assert!(leaked_rows(app, &w.org).await.is_empty());
    // Signed but not GitHub's format: 422, nothing changed.
    let odd = json!({ "token": w.dev.text }).to_string();
    let reply = post(&github, &odd, Some(KEY_ID), Some(&sign(&key, &odd))).await;
    assert_error(&reply, 422, "invalid_body");
    // The genuine report goes through.
    let reply = post(&github, &body, Some(KEY_ID), Some(&signature)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "REVOKED");
}

async fn github_report_is_off_without_a_key_file(app: &TestApp) {
    let w = World::build(app).await;
    let key = key_pair();
    let body = report(&[&w.prod.text]);
    let request = Request::post(PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .header("Github-Public-Key-Identifier", KEY_ID)
        .header("Github-Public-Key-Signature", sign(&key, &body))
        .body(Body::from(body))
        .expect("request");
    assert_error(&app.send(request).await, 404, "not_found");
    // Unsigned, it is refused for that first.
    let unsigned = Request::post(PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(report(&[&w.prod.text])))
        .expect("request");
    assert_error(&app.send(unsigned).await, 401, "bad_signature");
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
}

on_both_backends!(
    github_report_revokes_live_keys_and_labels_every_token,
    github_report_refuses_bad_signatures_and_changes_nothing,
    github_report_is_off_without_a_key_file,
);

#[test]
fn github_key_list_refuses_what_is_not_githubs_format() {
    let key = key_pair();
    assert!(GithubKeys::from_json(&key_list(KEY_ID, &key)).is_ok());
    for bad in [
        "",
        "{}",
        r#"{"public_keys": []}"#,
        r#"{"public_keys": [{"key_identifier": "x", "key": "not a key"}]}"#,
    ] {
        assert!(GithubKeys::from_json(bad).is_err(), "{bad}");
    }
}
