//! The built site's files and the pages' compression: `/pkg/` answers with the
//! precompressed file the client accepts and caches hashed names for a year; pages are
//! compressed, the one-time key reveal never.

use crate::common::{TestApp, form, project_key_fields, sf_request};
use crate::security::org_with_admin;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::path::Path;
use tower::ServiceExt;

const WASM: &str = "gtx-keys.Abc123_hash-XYZ.wasm";
const RAW: &[u8] = b"\0asm the raw module";
const BR: &[u8] = b"brotli bytes";
const GZ: &[u8] = b"gzip bytes";

/// Writes a hashed site into `root`: the WASM as built, its `.br` and `.gz`, and the
/// list of hashes.
fn write_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(WASM), RAW).unwrap();
    std::fs::write(pkg.join(format!("{WASM}.br")), BR).unwrap();
    std::fs::write(pkg.join(format!("{WASM}.gz")), GZ).unwrap();
    std::fs::write(
        root.join(gtx_keys::site::HASH_FILE),
        "js: Abc123_hash-XYZ\nwasm: Abc123_hash-XYZ\ncss: Css456\n",
    )
    .unwrap();
}

/// An app whose router serves a site written by [`write_site`] (with or without its
/// list of hashes) as `gtx-keys serve` would; the site lives as long as the tempdir.
async fn app_with_site(hashed: bool) -> (TestApp, tempfile::TempDir, Router) {
    let app = TestApp::sqlite().await;
    let site = tempfile::tempdir().unwrap();
    write_site(site.path());
    if !hashed {
        std::fs::remove_file(site.path().join(gtx_keys::site::HASH_FILE)).unwrap();
    }
    let mut state = app.state();
    state.leptos_options.site_root = site.path().to_string_lossy().into();
    gtx_keys::site::use_hashed_files(&mut state.leptos_options);
    let router = gtx_keys::router::router(state);
    (app, site, router)
}

/// `GET path` with `accept-encoding`: status, headers and body bytes.
async fn get(
    router: &Router,
    path: &str,
    accept: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    let mut request = request.body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn get_pkg_file_with_brotli_answers_brotli_cached_as_immutable() {
    let (app, _site, router) = app_with_site(true).await;
    let (status, headers, body) = get(&router, &format!("/pkg/{WASM}"), Some("gzip, br")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), Some("br"));
    assert_eq!(body, BR);
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        header(&headers, "vary")
            .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
        "{headers:?}"
    );
    app.close().await;
}

#[tokio::test]
async fn get_pkg_file_without_brotli_answers_gzip_or_identity() {
    let (app, _site, router) = app_with_site(true).await;
    let (status, headers, body) = get(&router, &format!("/pkg/{WASM}"), Some("gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(body, GZ);
    for accept in [None, Some("identity"), Some("deflate")] {
        let (status, headers, body) = get(&router, &format!("/pkg/{WASM}"), accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(header(&headers, "content-encoding"), None, "{accept:?}");
        assert_eq!(body, RAW, "{accept:?}");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    app.close().await;
}

#[tokio::test]
async fn get_missing_pkg_file_is_a_json_404_never_cached() {
    let (app, _site, router) = app_with_site(true).await;
    for path in ["/pkg/gtx-keys.old.wasm", "/pkg/../hash.txt", "/pkg/"] {
        let (status, headers, body) = get(&router, path, Some("br")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, "cache-control"), None, "{path}");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "not_found", "{path}");
    }
    app.close().await;
}

#[tokio::test]
async fn pages_name_the_hashed_files() {
    let (app, _site, router) = app_with_site(true).await;
    let (status, _, body) = get(&router, "/login", None).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    for name in [
        "/pkg/gtx-keys.Abc123_hash-XYZ.js",
        "/pkg/gtx-keys.Abc123_hash-XYZ.wasm",
        "/pkg/gtx-keys.Css456.css",
    ] {
        assert!(html.contains(name), "{name} in {html}");
    }
    app.close().await;
}

#[tokio::test]
async fn get_unhashed_site_revalidates_its_files() {
    let (app, _site, router) = app_with_site(false).await;
    let (status, headers, _) = get(&router, &format!("/pkg/{WASM}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    app.close().await;
}

#[tokio::test]
async fn get_page_with_brotli_is_compressed_with_its_policy() {
    let app = TestApp::sqlite().await;
    let (status, headers, body) = get(&app.router(), "/login", Some("br")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), Some("br"));
    assert!(
        header(&headers, "content-security-policy").is_some_and(|p| p.contains("'nonce-")),
        "{headers:?}"
    );
    let mut html = Vec::new();
    brotli_decompress(&body, &mut html);
    assert!(String::from_utf8_lossy(&html).contains("<!DOCTYPE html>"));
    app.close().await;
}

#[tokio::test]
async fn create_api_key_reveal_is_never_compressed() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let project = app.create_project(&org, "Website").await;
    let fields = project_key_fields(&org, &project, "CI deploy", "development", Some("90d"));
    let mut request = sf_request("create_api_key", Some(&admin))
        .header("sec-fetch-site", "same-origin")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .body(Body::from(form(&fields)))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
    let response = app.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    assert_eq!(header(response.headers(), "content-encoding"), None);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        json["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("gtx-dev-"))
    );
    app.close().await;
}

/// Decodes a brotli body (the test's own decoder, not the server's encoder).
fn brotli_decompress(input: &[u8], out: &mut Vec<u8>) {
    brotli::BrotliDecompress(&mut &input[..], out).unwrap();
}
