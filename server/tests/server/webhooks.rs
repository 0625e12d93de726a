//! Webhooks, against a real HTTP receiver: every key event delivered with a Standard
//! Webhooks signature, retries with one `webhook-id` under an injected clock, nothing
//! for a change that does not commit, and private destinations refused without the flag
//! (when added, and again when delivered).

use crate::api::{World, project_key};
use crate::common::TestApp;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gtx_core::domain::KeyType;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::error::CoreError;
use gtx_core::services::webhooks::{RETRY_SCHEDULE_MS, WebhookSettings};
use gtx_core::services::{Actor, LeakReport, Services};
use hmac::{KeyInit, Mac};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver on 127.0.0.1 that answers the statuses it is given, in order (then 200).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        let (log, answers) = (Arc::clone(&got), Arc::clone(&script));
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let (log, answers) = (Arc::clone(&log), Arc::clone(&answers));
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    log.lock().expect("log").push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = answers.lock().expect("script").pop_front().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver");
        });
        Self {
            url,
            got,
            _server: server,
        }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().expect("log").clone()
    }
}

/// The app's services allowing private destinations (the receiver is on loopback).
fn private_ok(app: &TestApp) -> Services {
    app.services.clone().with_webhooks(WebhookSettings {
        allow_private: true,
        ..WebhookSettings::default()
    })
}

/// Checks a delivery's signature as the Standard Webhooks specification says, with an
/// HMAC of our own (not the server's signer).
fn signed_by(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

async fn deliver(services: &Services) -> usize {
    let client = services.webhook_client().expect("client");
    services.deliver_due(&client).await.expect("round")
}

async fn webhook_receiver_gets_every_key_event_signed(app: &TestApp) {
    let w = World::build(app).await;
    let receiver = Receiver::start(&[]).await;
    let services = private_ok(app);
    let added = services
        .add_webhook(&Actor::operator(), &w.org, &receiver.url, &[])
        .await
        .expect("added");
    let secret = added.secret.expose_secret().to_owned();
    assert!(secret.starts_with("whsec_"));
    let op = Actor::operator();
    let key = project_key(app, &w.project, KeyType::Production, "hooked", None).await;
    app.services
        .disable_key(&op, &key.id)
        .await
        .expect("disable");
    app.services.enable_key(&op, &key.id).await.expect("enable");
    let rotated = app
        .services
        .rotate_key(&op, &key.id, GracePeriod::OneHour)
        .await
        .expect("rotate");
    app.services
        .revoke_key(&op, &rotated.created.record.id)
        .await
        .expect("revoke");
    let reporter = Actor::leak_report("public report", None, None);
    app.services
        .report_leak(&reporter, &w.dev.text, &LeakReport::default())
        .await
        .expect("report");
    assert!(deliver(&services).await >= 6);
    let got = receiver.got();
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).expect("json")["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for wanted in [
        "api_key.created",
        "api_key.disabled",
        "api_key.enabled",
        "api_key.rotated",
        "api_key.revoked",
        "api_key.leaked",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
    }
    for r in &got {
        assert!(signed_by(&secret, r), "signature of {}", r.body);
        assert!(r.id.starts_with("msg_"));
        let body: Value = serde_json::from_str(&r.body).expect("json");
        let at = body["timestamp"].as_str().expect("timestamp");
        assert!(at.ends_with('Z') && at.contains('T'), "{at}");
        assert!(
            !r.body.contains("gtx-api-") || r.body.contains("…"),
            "never a key: {}",
            r.body
        );
    }
    let leaked = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).expect("json"))
        .find(|b| b["type"] == "api_key.leaked")
        .expect("leaked");
    assert_eq!(leaked["data"]["actor"]["type"], "leak_report");
    assert_eq!(leaked["data"]["id"], w.dev.id.as_str());
    let created = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).expect("json"))
        .find(|b| b["type"] == "api_key.created")
        .expect("created");
    assert_eq!(created["data"]["actor"]["type"], "system");
    assert_eq!(created["data"]["kind"], "project");
    // Delivered once each: the next round has nothing to do.
    assert_eq!(deliver(&services).await, 0);
}

async fn webhook_retries_with_one_id_until_the_receiver_takes_it(app: &TestApp) {
    let w = World::build(app).await;
    let receiver = Receiver::start(&[500, 500, 500]).await;
    let services = private_ok(app);
    services
        .add_webhook(
            &Actor::operator(),
            &w.org,
            &receiver.url,
            &["api_key.revoked".to_owned()],
        )
        .await
        .expect("added");
    app.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    assert_eq!(deliver(&services).await, 1);
    for (i, wait) in RETRY_SCHEDULE_MS.iter().take(3).enumerate() {
        // Not due before its time.
        app.clock.advance(wait - 1);
        assert_eq!(deliver(&services).await, 0, "retry {i} early");
        app.clock.advance(1);
        assert_eq!(deliver(&services).await, 1, "retry {i}");
    }
    let got = receiver.got();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|r| r.id == got[0].id), "one webhook-id");
    let endpoints = services
        .list_webhooks(&Actor::operator(), &w.org)
        .await
        .expect("list");
    let log = services
        .webhook_deliveries(&Actor::operator(), &w.org, &endpoints[0].id, 10)
        .await
        .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].state.as_str(), log[0].attempts, log[0].last_status),
        ("delivered", 4, Some(200))
    );
    app.clock.advance(RETRY_SCHEDULE_MS[6]);
    assert_eq!(deliver(&services).await, 0);
    // The log keeps an ended delivery 30 days.
    assert_eq!(services.prune_webhook_log().await.expect("prune"), 0);
    app.clock.advance(30 * 86_400_000);
    assert_eq!(services.prune_webhook_log().await.expect("prune"), 1);
    let log = services
        .webhook_deliveries(&Actor::operator(), &w.org, &endpoints[0].id, 10)
        .await
        .expect("log");
    assert!(log.is_empty());
}

async fn webhook_event_is_written_only_with_its_change(app: &TestApp) {
    let w = World::build(app).await;
    let receiver = Receiver::start(&[]).await;
    let services = private_ok(app);
    services
        .add_webhook(&Actor::operator(), &w.org, &receiver.url, &[])
        .await
        .expect("added");
    app.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    // Revoked again: refused, so no second event.
    assert!(
        app.services
            .revoke_key(&Actor::operator(), &w.prod.id)
            .await
            .is_err()
    );
    assert_eq!(deliver(&services).await, 1);
    assert_eq!(receiver.got().len(), 1);
    // A disabled endpoint gets no new event; enabled again, it does.
    let op = Actor::operator();
    let id = services.list_webhooks(&op, &w.org).await.expect("list")[0]
        .id
        .clone();
    services
        .set_webhook_enabled(&op, &w.org, &id, false)
        .await
        .expect("disable");
    assert!(!services.list_webhooks(&op, &w.org).await.expect("list")[0].enabled);
    // Nor a test event: the endpoint is off.
    assert!(matches!(
        services.send_test_webhook(&op, &w.org, &id).await,
        Err(CoreError::Conflict(
            gtx_core::domain::validation::Problem::WebhookDisabled
        ))
    ));
    app.services
        .revoke_key(&op, &w.dev.id)
        .await
        .expect("revoke");
    assert_eq!(deliver(&services).await, 0);
    services
        .set_webhook_enabled(&op, &w.org, &id, true)
        .await
        .expect("enable");
    app.services
        .revoke_key(&op, &w.org_files.id)
        .await
        .expect("revoke");
    assert_eq!(deliver(&services).await, 1);
    assert_eq!(receiver.got().len(), 2);
    // Not another organisation's endpoint.
    assert!(
        services
            .set_webhook_enabled(&op, &w.other_org, &id, false)
            .await
            .is_err()
    );
}

async fn webhook_private_destination_is_refused_without_the_flag(app: &TestApp) {
    let w = World::build(app).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
        "http://localhost:8080/hook",
    ] {
        let refused = app
            .services
            .add_webhook(&Actor::operator(), &w.org, url, &[])
            .await;
        assert!(
            matches!(&refused, Err(CoreError::Invalid(f)) if f.field == "url"),
            "{url}: {:?}",
            refused.as_ref().err()
        );
    }
    for url in [
        "ftp://example.com/x",
        "https://user:pw@example.com/",
        "not a url",
    ] {
        assert!(
            app.services
                .add_webhook(&Actor::operator(), &w.org, url, &[])
                .await
                .is_err(),
            "{url}"
        );
    }
    // Added while allowed, delivered by a server without the flag: refused at delivery,
    // recorded in the log, and the receiver never hears of it.
    let receiver = Receiver::start(&[]).await;
    private_ok(app)
        .add_webhook(&Actor::operator(), &w.org, &receiver.url, &[])
        .await
        .expect("added");
    app.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    assert_eq!(deliver(&app.services).await, 1);
    assert!(receiver.got().is_empty());
    let endpoints = app
        .services
        .list_webhooks(&Actor::operator(), &w.org)
        .await
        .expect("list");
    let log = app
        .services
        .webhook_deliveries(&Actor::operator(), &w.org, &endpoints[0].id, 10)
        .await
        .expect("log");
    assert_eq!(log[0].state, "pending");
    assert!(
        log[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("private"),
        "{:?}",
        log[0].last_error
    );
}

/// The types of the events the receiver got about `key_id`, in order.
fn types_for(receiver: &Receiver, key_id: &str) -> Vec<String> {
    receiver
        .got()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).expect("json"))
        .filter(|b| b["data"]["id"] == key_id)
        .map(|b| b["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn expiry_reminders_fire_once_per_key_and_threshold(app: &TestApp) {
    const DAY: i64 = 86_400_000;
    let w = World::build(app).await;
    let receiver = Receiver::start(&[]).await;
    let services = private_ok(app);
    services
        .add_webhook(&Actor::operator(), &w.org, &receiver.url, &[])
        .await
        .expect("added");
    let expiring = project_key(
        app,
        &w.project,
        KeyType::Development,
        "expiring",
        Some(app.services.now() + 8 * DAY),
    )
    .await;
    let idle = project_key(app, &w.sibling, KeyType::Production, "idle", None).await;
    let step = |ms: i64| {
        app.clock.advance(ms);
        async {
            // Twice: the second run finds nothing new.
            services.write_key_reminders().await.expect("reminders");
            services.write_key_reminders().await.expect("reminders");
            deliver(&services).await;
        }
    };
    step(0).await;
    step(DAY + 1).await; // 7 days left
    step(DAY).await;
    step(5 * DAY).await; // 1 day left
    step(DAY).await; // expired
    step(7 * DAY).await;
    let id = expiring.id.as_str();
    assert_eq!(
        types_for(&receiver, id),
        [
            "api_key.created",
            "api_key.expiring",
            "api_key.expiring",
            "api_key.expired"
        ],
    );
    assert!(!types_for(&receiver, idle.id.as_str()).contains(&"api_key.stale".to_owned()));
    step(76 * DAY).await; // 91 days unused
    step(DAY).await;
    let stale: Vec<String> = types_for(&receiver, idle.id.as_str())
        .into_iter()
        .filter(|t| t == "api_key.stale")
        .collect();
    assert_eq!(stale.len(), 1, "once");
    // The expired key is not stale, it is expired.
    assert!(!types_for(&receiver, id).contains(&"api_key.stale".to_owned()));
}

async fn webhook_test_event_reaches_only_its_endpoint_and_the_log(app: &TestApp) {
    let w = World::build(app).await;
    let (first, second) = (Receiver::start(&[]).await, Receiver::start(&[]).await);
    let services = private_ok(app);
    let op = Actor::operator();
    // It wants one other event: a test event reaches it all the same.
    let one = services
        .add_webhook(&op, &w.org, &first.url, &["api_key.revoked".to_owned()])
        .await
        .expect("added");
    services
        .add_webhook(&op, &w.org, &second.url, &[])
        .await
        .expect("added");
    services
        .send_test_webhook(&op, &w.org, &one.endpoint.id)
        .await
        .expect("test event");
    assert_eq!(deliver(&services).await, 1);
    let got = first.got();
    assert_eq!(got.len(), 1);
    assert!(signed_by(one.secret.expose_secret(), &got[0]));
    assert!(
        got[0].body.contains(r#""type":"webhook.test""#),
        "{}",
        got[0].body
    );
    assert!(second.got().is_empty());
    let log = services
        .webhook_deliveries(&op, &w.org, &one.endpoint.id, 10)
        .await
        .expect("log");
    assert_eq!(
        (log[0].event_type.as_str(), log[0].state.as_str()),
        ("webhook.test", "delivered")
    );
    // The page's read: both endpoints, oldest first, each with its own log.
    let page = services
        .webhooks_with_log(&op, &w.org, 10)
        .await
        .expect("page");
    let shape: Vec<(&str, usize)> = page
        .iter()
        .map(|(e, log)| (e.url.as_str(), log.len()))
        .collect();
    assert_eq!(shape, [(first.url.as_str(), 1), (second.url.as_str(), 0)]);
    assert!(
        services
            .webhooks_with_log(&op, &w.other_org, 10)
            .await
            .is_ok_and(|p| p.is_empty())
    );
    // Another organisation's endpoint id is not found.
    assert!(
        services
            .send_test_webhook(&op, &w.other_org, &one.endpoint.id)
            .await
            .is_err()
    );
}

async fn webhook_removed_endpoint_gets_nothing_and_drops_its_queue(app: &TestApp) {
    let w = World::build(app).await;
    let receiver = Receiver::start(&[500]).await;
    let services = private_ok(app);
    let op = Actor::operator();
    let added = services
        .add_webhook(&op, &w.org, &receiver.url, &[])
        .await
        .expect("added");
    let id = added.endpoint.id;
    app.services
        .revoke_key(&op, &w.prod.id)
        .await
        .expect("revoke");
    // The first attempt fails: the delivery waits for its retry.
    assert_eq!(deliver(&services).await, 1);
    // Not through another organisation.
    assert!(matches!(
        services.remove_webhook(&op, &w.other_org, &id).await,
        Err(CoreError::NotFound { .. })
    ));
    assert_eq!(
        services
            .list_webhooks(&op, &w.org)
            .await
            .expect("list")
            .len(),
        1
    );
    services
        .remove_webhook(&op, &w.org, &id)
        .await
        .expect("removed");
    assert!(
        services
            .list_webhooks(&op, &w.org)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        services.webhook_deliveries(&op, &w.org, &id, 10).await,
        Err(CoreError::NotFound { .. })
    ));
    // Its queued retry is gone, and new events go nowhere.
    app.clock.advance(RETRY_SCHEDULE_MS[0]);
    app.services
        .revoke_key(&op, &w.dev.id)
        .await
        .expect("revoke");
    assert_eq!(deliver(&services).await, 0);
    assert_eq!(receiver.got().len(), 1);
    // Removed once.
    assert!(matches!(
        services.remove_webhook(&op, &w.org, &id).await,
        Err(CoreError::NotFound { .. })
    ));
}

/// Two instances on one database: deliveries carry on across a restart (the second takes
/// over with the same `webhook-id`), and running together they never send one attempt
/// twice.
async fn webhook_pair_checks(a: TestApp, b: TestApp) {
    let w = World::build(&a).await;
    let receiver = Receiver::start(&[500, 500, 500]).await;
    let (sa, sb) = (private_ok(&a), private_ok(&b));
    sa.add_webhook(
        &Actor::operator(),
        &w.org,
        &receiver.url,
        &["api_key.revoked".to_owned()],
    )
    .await
    .expect("added");
    a.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    let advance = |ms: i64| {
        a.clock.advance(ms);
        b.clock.advance(ms);
    };
    assert_eq!(deliver(&sa).await, 1);
    advance(RETRY_SCHEDULE_MS[0]);
    assert_eq!(deliver(&sa).await, 1);
    // The first instance stops; the second carries on.
    advance(RETRY_SCHEDULE_MS[1]);
    assert_eq!(deliver(&sb).await, 1);
    advance(RETRY_SCHEDULE_MS[2]);
    assert_eq!(deliver(&sb).await, 1);
    let got = receiver.got();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|r| r.id == got[0].id));

    // Many events, both instances delivering at once: each exactly once.
    let many = Receiver::start(&[]).await;
    sa.add_webhook(&Actor::operator(), &w.other_org, &many.url, &[])
        .await
        .expect("added");
    let project = a
        .services
        .create_project(&Actor::operator(), &w.other_org, "Busy", None)
        .await
        .expect("project")
        .id;
    for i in 0..30 {
        project_key(&a, &project, KeyType::Development, &format!("k{i}"), None).await;
    }
    loop {
        let (x, y) = tokio::join!(deliver(&sa), deliver(&sb));
        if x + y == 0 {
            break;
        }
    }
    let mut ids: Vec<String> = many.got().into_iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 30);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "no event twice");
}

#[tokio::test]
async fn webhook_pair_on_sqlite() {
    let (a, b) = TestApp::sqlite_pair().await;
    webhook_pair_checks(a, b).await;
}

#[tokio::test]
async fn webhook_pair_on_postgres() {
    let Some((a, b)) = TestApp::postgres_pair("webhook_pair").await else {
        return;
    };
    webhook_pair_checks(a, b).await;
}

gtx_core::on_both_backends!(
    crate::common::TestApp:
    webhook_receiver_gets_every_key_event_signed,
    webhook_retries_with_one_id_until_the_receiver_takes_it,
    webhook_event_is_written_only_with_its_change,
    webhook_private_destination_is_refused_without_the_flag,
    expiry_reminders_fire_once_per_key_and_threshold,
    webhook_test_event_reaches_only_its_endpoint_and_the_log,
    webhook_removed_endpoint_gets_nothing_and_drops_its_queue,
);
