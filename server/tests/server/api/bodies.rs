//! Bad requests get a 4xx with a JSON error, never a 500 or a text body.

use super::{World, assert_error, verify};
use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::json;

async fn post_verify(
    app: &TestApp,
    content_type: Option<&str>,
    body: Body,
) -> crate::common::Reply {
    let mut request = Request::post("/api/v1/keys/verify");
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    app.send(request.body(body).expect("request")).await
}

async fn verify_rejects_bad_bodies_with_json_errors(app: &TestApp) {
    let w = World::build(app).await;
    let json_ct = Some("application/json");
    let reply = post_verify(app, json_ct, Body::from("{\"key\": ")).await;
    assert_error(&reply, 400, "malformed_json");
    let reply = post_verify(app, json_ct, Body::from("")).await;
    assert_error(&reply, 400, "malformed_json");
    let reply = post_verify(app, Some("text/plain"), Body::from("{}")).await;
    assert_error(&reply, 415, "unsupported_media_type");
    let reply = post_verify(app, None, Body::from("{}")).await;
    assert_error(&reply, 415, "unsupported_media_type");
    assert_error(&verify(app, json!({ "key": 5 })).await, 422, "invalid_body");
    assert_error(&verify(app, json!({})).await, 422, "invalid_body");
    assert_error(&verify(app, json!([1, 2])).await, 422, "invalid_body");
    assert_error(
        &verify(
            app,
            json!({ "key": w.prod.text, "permissions": "files:read" }),
        )
        .await,
        422,
        "invalid_body",
    );
    let unknown = verify(
        app,
        json!({ "key": w.prod.text, "permissions": ["files:read", "files:delete"] }),
    )
    .await;
    assert_error(&unknown, 422, "invalid_field");
    assert_eq!(unknown.json()["error"]["field"], "permissions");
    assert!(unknown.body.contains("files:delete"), "{}", unknown.body);

    // Over 64 KiB, with a length up front and without one (streamed).
    let big = json!({ "key": "x".repeat(70 * 1024) }).to_string();
    let reply = post_verify(app, json_ct, Body::from(big.clone())).await;
    assert_error(&reply, 413, "payload_too_large");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(8 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let reply = post_verify(
        app,
        json_ct,
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
    .await;
    assert_error(&reply, 413, "payload_too_large");
    // A long but small-enough key is simply malformed.
    let reply = verify(app, json!({ "key": "gtx-api-".repeat(1000) })).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["code"], "MALFORMED");

    let reply = app
        .send(
            Request::get("/api/v1/keys/verify")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_error(&reply, 405, "method_not_allowed");
    let reply = app
        .send(
            Request::get("/api/v1/no-such-thing")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_error(&reply, 404, "not_found");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn ping_post_reads_the_body_and_refuses_none_or_too_much() {
    let app = TestApp::sqlite().await;
    let post = |body: Body| {
        Request::post("/api/v1/ping")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .expect("request")
    };
    let reply = app.send(post(Body::from("{\"key\":\"x\"}"))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "pong");
    assert_error(&app.send(post(Body::empty())).await, 400, "empty_body");
    let reply = app.send(post(Body::from(vec![b'x'; 70 * 1024]))).await;
    assert_error(&reply, 413, "body_too_large");
    app.close().await;
}

on_both_backends!(verify_rejects_bad_bodies_with_json_errors);
