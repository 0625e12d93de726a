//! Configurations the server refuses at start, with a message that says what to do,
//! through the real binary.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gtx-keys");

/// Runs `gtx-keys` with `args` and `envs` on a fresh data directory; a server that
/// wrongly starts would run for ever, so it gets a bounded time to refuse.
fn refused(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GTX_PUBLIC_URL")
        .env_remove("GTX_SETUP_TOKEN")
        .env_remove("GTX_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("gtx-keys {args:?} started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_refuses_a_setup_token_under_20_characters() {
    let (code, stderr) = refused(
        &["--listen", "127.0.0.1:0", "serve"],
        &[("GTX_SETUP_TOKEN", "hunter2hunter2")],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("GTX_SETUP_TOKEN has 14 characters"),
        "{stderr}"
    );
    assert!(stderr.contains("at least 20"), "{stderr}");
    // The token itself is never repeated.
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn serve_beyond_loopback_refuses_to_start_without_a_public_url() {
    let (code, stderr) = refused(&["--listen", "0.0.0.0:0", "serve"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("GTX_PUBLIC_URL"), "{stderr}");
    // A public URL that is not an origin is a usage error.
    let (code, stderr) = refused(
        &[
            "--listen",
            "0.0.0.0:0",
            "--public-url",
            "https://keys.example.com/dashboard",
            "serve",
        ],
        &[],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not an origin"), "{stderr}");
}

#[test]
fn bench_seed_is_not_a_command_of_the_production_binary() {
    let (code, stderr) = refused(&["bench-seed", "--project", "p"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn trusted_proxies_must_be_cidrs() {
    let (code, stderr) = refused(
        &["--listen", "127.0.0.1:0", "serve"],
        &[("GTX_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("proxy.internal"), "{stderr}");
}

#[test]
fn serve_refuses_verify_full_against_a_wrong_ca() {
    let Some(base) = crate::common::postgres_url("serve_refuses_verify_full_against_a_wrong_ca")
    else {
        return;
    };
    let url = gtx_core::db::PgUrl::parse(&base).expect("test URL");
    let password = url
        .password
        .as_ref()
        .map(|p| format!(":{}", secrecy::ExposeSecret::expose_secret(p)))
        .unwrap_or_default();
    let wrong = format!(
        "postgres://{}{password}@localhost:{}/{}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
        url.user, url.port, url.database
    );
    let (code, stderr) = refused(
        &["--listen", "127.0.0.1:0", "serve"],
        &[
            ("DATABASE_URL", &wrong),
            ("GTX_SERVER_SECRET", &"42".repeat(32)),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot start"), "{stderr}");
    assert!(
        stderr.contains("cannot connect to PostgreSQL over TLS (sslmode=verify-full"),
        "{stderr}"
    );
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    // The password never reaches the message.
    if let Some(p) = &url.password {
        let p = secrecy::ExposeSecret::expose_secret(p);
        assert!(!stderr.contains(&format!(":{p}@")), "{stderr}");
    }
}
