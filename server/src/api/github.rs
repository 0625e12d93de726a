//! GitHub secret scanning: `POST /api/v1/secret-scanning/github`. GitHub finds our keys
//! in public repositories by the regular expression we registered with its partner
//! programme and posts them here, signed with ECDSA P-256 (SHA-256) under one of the
//! public keys it publishes; each live key reported is revoked, and the answer labels
//! each token so GitHub can tell the repository's owner. Without a valid signature
//! nothing changes.

use super::error::{ApiError, ErrorBody};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gtx_core::services::{Actor, LeakReport, Services};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// The header naming the key GitHub signed with.
pub const KEY_ID_HEADER: &str = "github-public-key-identifier";
/// The header holding the signature: base64 of an ASN.1 DER ECDSA signature.
pub const SIGNATURE_HEADER: &str = "github-public-key-signature";
/// Most tokens one report may hold.
pub const MAX_TOKENS: usize = 1000;

/// GitHub's signing keys, by identifier, from the file GitHub publishes
/// (`https://api.github.com/meta/public_keys/secret_scanning`).
#[derive(Debug, Default)]
pub struct GithubKeys(HashMap<String, VerifyingKey>);

/// The published file: `{"public_keys": [{"key_identifier", "key", "is_current"}]}`.
#[derive(Deserialize)]
struct KeyFile {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo) on the P-256 curve.
    key: String,
}

impl GithubKeys {
    /// Reads the keys from GitHub's published JSON. Every key must be a P-256 public
    /// key in PEM; at least one is needed.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            format!("not GitHub's key list ({{\"public_keys\": [{{\"key_identifier\", \"key\"}}]}}): {e}")
        })?;
        let mut keys = HashMap::new();
        for published in file.public_keys {
            let key = VerifyingKey::from_public_key_pem(published.key.trim()).map_err(|e| {
                format!(
                    "key {}: not a P-256 public key in PEM: {e}",
                    published.key_identifier
                )
            })?;
            keys.insert(published.key_identifier, key);
        }
        if keys.is_empty() {
            return Err("the key list holds no key".to_owned());
        }
        Ok(Self(keys))
    }

    /// Whether `signature` (base64 DER) is a signature of `body` by the key `key_id`.
    pub fn verify(&self, key_id: &str, signature: &str, body: &[u8]) -> bool {
        let Some(key) = self.0.get(key_id) else {
            return false;
        };
        let Ok(der) = STANDARD.decode(signature.trim()) else {
            return false;
        };
        let Ok(signature) = DerSignature::from_bytes(&der) else {
            return false;
        };
        key.verify(body, &signature).is_ok()
    }
}

/// The configured keys, if GitHub secret scanning is on (a request extension).
#[derive(Clone, Debug, Default)]
pub struct GithubScanning(pub Option<Arc<GithubKeys>>);

/// One token GitHub found. No `Debug`: it holds a key.
#[derive(Deserialize, ToSchema)]
pub struct FoundToken {
    /// The text that matched our regular expression.
    pub token: String,
    /// The token type we registered (e.g. `gt_api_key`).
    #[serde(rename = "type")]
    pub token_type: String,
    /// Where GitHub found it.
    #[serde(default)]
    pub url: Option<String>,
    /// What kind of place that is (`content`, `commit`, `issue_comment`, …).
    #[serde(default)]
    pub source: Option<String>,
}

/// GitHub's feedback for one token.
#[derive(Serialize, ToSchema)]
pub struct TokenFeedback {
    /// The token as reported.
    pub token_raw: String,
    /// Its type as reported.
    pub token_type: String,
    /// `true_positive`: a key of this server (now revoked); `false_positive`: not one.
    #[schema(example = "true_positive")]
    pub label: &'static str,
}

/// GitHub's secret scanning partner endpoint: revokes every live key reported.
///
/// The body is signed by GitHub (`Github-Public-Key-Identifier`,
/// `Github-Public-Key-Signature`: ECDSA P-256 over the raw body) under a key from the
/// file given with `--github-scanning-keys`; without a valid signature the answer is 401
/// and nothing changes. Off when no key file is configured: a signed request is a 404
/// (an unsigned one is a 401 all the same).
#[utoipa::path(
    post,
    path = "/api/v1/secret-scanning/github",
    tag = "keys",
    request_body = Vec<FoundToken>,
    params(
        ("Github-Public-Key-Identifier" = String, Header, description = "The identifier of GitHub's signing key"),
        ("Github-Public-Key-Signature" = String, Header, description = "Base64 of the ASN.1 DER ECDSA P-256 signature of the raw body"),
    ),
    responses(
        (status = 200, description = "A label per token", body = Vec<TokenFeedback>),
        (status = 401, description = "Missing or bad signature: nothing changed", body = ErrorBody),
        (status = 404, description = "GitHub secret scanning is not configured (a signed request)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Not a JSON array of tokens, or over 1,000 of them", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn github_report(
    State(services): State<Arc<Services>>,
    Extension(GithubScanning(keys)): Extension<GithubScanning>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(key_id), Some(signature)) = (header(KEY_ID_HEADER), header(SIGNATURE_HEADER)) else {
        return Err(ApiError::unauthorized(
            "bad_signature",
            "The report is not signed: send Github-Public-Key-Identifier and Github-Public-Key-Signature.",
        ));
    };
    let Some(keys) = keys else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "GitHub secret scanning is not configured on this server (--github-scanning-keys).",
        ));
    };
    let body = body?;
    if !keys.verify(key_id, signature, &body) {
        return Err(ApiError::unauthorized(
            "bad_signature",
            "The report is not signed by one of GitHub's configured keys.",
        ));
    }
    let found: Vec<FoundToken> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("Send GitHub's array of {{token, type, url, source}}: {e}"),
        )
    })?;
    if found.len() > MAX_TOKENS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("At most {MAX_TOKENS} tokens per report."),
        ));
    }
    let reporter = Actor::leak_report("GitHub secret scanning", None, None);
    let mut feedback = Vec::with_capacity(found.len());
    for token in found {
        // A URL or source we would not take from the public is dropped, not refused:
        // the key matters more than where it was.
        let report = LeakReport::validated(token.url.as_deref(), token.source.as_deref())
            .unwrap_or_default();
        let outcome = services
            .report_leak(&reporter, &token.token, &report)
            .await?;
        feedback.push(TokenFeedback {
            label: if outcome.is_ours() {
                "true_positive"
            } else {
                "false_positive"
            },
            token_raw: token.token,
            token_type: token.token_type,
        });
    }
    Ok(axum::Json(feedback).into_response())
}
