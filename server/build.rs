//! Precompresses the built site's code for the server to send as is.
//!
//! `cargo leptos build` writes the site (`pkg/`: the WASM, its loader and the
//! stylesheet) before it compiles this crate, and passes the site's place in
//! `LEPTOS_SITE_ROOT`. This script writes a `.br` (quality 11, window 24) and a `.gz`
//! (level 9) beside each of those files, so `ServeDir` can answer `Accept-Encoding` with
//! no work per request. Built without cargo-leptos (plain `cargo build`, the tests),
//! there is no site and nothing to do.

use std::fs;
use std::io::Write;
use std::path::Path;

/// The kinds of file worth compressing (the rest are tiny or already compressed).
const COMPRESSIBLE: [&str; 3] = ["wasm", "js", "css"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LEPTOS_SITE_ROOT");
    println!("cargo::rerun-if-env-changed=LEPTOS_SITE_PKG_DIR");
    let Ok(root) = std::env::var("LEPTOS_SITE_ROOT") else {
        return;
    };
    // Debug sites (the tests' builds) are served as they are: quality 11 on an
    // unoptimised WASM would cost each build minutes.
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let pkg_dir = std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".to_owned());
    // Relative to the workspace, where cargo-leptos runs; the script runs in `server/`.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let pkg = workspace.join(&root).join(pkg_dir);
    // Rerun when the site is rebuilt: when its list of hashes or any input changes (or
    // while there is none). Each path is named, never the directory: cargo takes a
    // change made there during this run (the files written below) as a reason to run
    // again, and would rebuild the server every time.
    println!(
        "cargo::rerun-if-changed={}",
        workspace.join(&root).join("hash.txt").display()
    );
    let Ok(entries) = fs::read_dir(&pkg) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        println!("cargo::rerun-if-changed={}", path.display());
        if let Err(e) = precompress(&path) {
            println!(
                "cargo::warning=could not precompress {}: {e}",
                path.display()
            );
        }
    }
}

/// Writes `<file>.br` and `<file>.gz`.
fn precompress(path: &Path) -> std::io::Result<()> {
    let raw = fs::read(path)?;
    let mut br = Vec::with_capacity(raw.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut raw.as_slice(), &mut br, &params)?;
    write_beside(path, "br", &br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw)?;
    write_beside(path, "gz", &gz.finish()?)
}

/// Writes `bytes` to `<path>.<ext>` through a temporary file, so a server reading the
/// directory never sees half a file.
fn write_beside(path: &Path, ext: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    let mut tmp = name.clone();
    tmp.push(".tmp");
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, &name)
}
