//! The built site's files: where they are, and how `/pkg/` serves them.
//!
//! `cargo leptos build` writes `pkg/` with content-hashed names (`hash-files` in the
//! workspace's `Cargo.toml`) and lists the hashes in `<site>/hash.txt`; the release
//! build also writes a `.br` and a `.gz` of each file (`server/build.rs`). Nothing here
//! depends on how the server was started: `LEPTOS_SITE_ROOT` alone is enough.

use axum::Router;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The file, in the site root, that names the hashed files.
pub const HASH_FILE: &str = "hash.txt";

/// A hashed file never changes under its name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A file whose name does not change with its content is checked on every use.
const REVALIDATE: &str = "no-cache";

/// Turns on hashed file names when the site was built with them, and points leptos at
/// the site's own list of hashes (an absolute path: leptos looks beside the binary
/// otherwise, and an installed binary need not live beside its site).
pub fn use_hashed_files(options: &mut LeptosOptions) {
    let list = site_root(options).join(HASH_FILE);
    options.hash_files = list.is_file();
    if options.hash_files {
        options.hash_file = list.to_string_lossy().into();
    }
}

/// The site root as an absolute path.
fn site_root(options: &LeptosOptions) -> PathBuf {
    let root = Path::new(&*options.site_root);
    std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf())
}

/// `/pkg/`: the site's code, precompressed files chosen by `Accept-Encoding` (brotli,
/// then gzip, then as is), cached for a year when the names are hashed. A missing file
/// is a JSON 404.
pub fn pkg_router<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = site_root(options).join(&*options.site_pkg_dir);
    let cache = HeaderValue::from_static(if options.hash_files {
        IMMUTABLE
    } else {
        REVALIDATE
    });
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(axum::handler::HandlerWithoutStateExt::into_service(
            missing_file,
        ));
    Router::new().nest_service(
        &format!("/{}", options.site_pkg_dir),
        tower::ServiceBuilder::new()
            // The answer depends on Accept-Encoding: a shared cache must key on it.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::VARY,
                HeaderValue::from_static("accept-encoding"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                move |response: &Response<_>| {
                    let found = response.status().is_success()
                        || response.status() == StatusCode::NOT_MODIFIED;
                    found.then(|| cache.clone())
                },
            ))
            .service(files),
    )
}

/// No such file under `/pkg/`.
async fn missing_file() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "error": { "code": "not_found", "message": "No such file." }
        })),
    )
}
