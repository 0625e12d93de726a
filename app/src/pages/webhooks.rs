//! Webhooks (`/orgs/{org_id}/webhooks`, admins): the organisation's endpoints, each with
//! its events, enable/disable, "Send test event" and its delivery log; "Add endpoint"
//! and the one-time reveal of the new endpoint's signing secret.
//!
//! Every control is a form post, so the page works without JavaScript: the add dialog is
//! `?add=1`, the reveal `?reveal=<id>` (taken once, as for keys), a sent test `?sent=<id>`,
//! the confirmation before removing one `?remove=<id>`.
//! Hydrated, the delivery log refreshes itself while a delivery is pending.

use super::org::OrgSubnav;
use crate::api::types::{DeliveryView, RevealedSigningSecret, WebhookView, WebhooksData};
use crate::api::webhooks::{
    AddWebhook, RemoveWebhook, SendTestWebhook, SetWebhookEnabled, list_webhooks,
    take_webhook_reveal,
};
use crate::components::copy_button::CopyButton;
use crate::components::dialog::Dialog;
use crate::components::field::Submit;
use crate::components::form_errors::FormErrors;
use crate::components::table_head::TableHead;
use gtx_core::domain::time::format_utc;
use gtx_core::domain::webhook_event::KEY_EVENTS;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// How often the hydrated page reloads the log while a delivery is pending.
#[cfg(feature = "hydrate")]
const REFRESH_PENDING: std::time::Duration = std::time::Duration::from_secs(2);

/// The page's server actions, shared by its endpoints and the add dialog.
#[derive(Clone, Copy)]
struct WebhookActions {
    add: ServerAction<AddWebhook>,
    test: ServerAction<SendTestWebhook>,
    set_enabled: ServerAction<SetWebhookEnabled>,
    remove: ServerAction<RemoveWebhook>,
}

/// `/orgs/{org_id}/webhooks`
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let actions = WebhookActions {
        add: ServerAction::<AddWebhook>::new(),
        test: ServerAction::<SendTestWebhook>::new(),
        set_enabled: ServerAction::<SetWebhookEnabled>::new(),
        remove: ServerAction::<RemoveWebhook>::new(),
    };
    let data = Resource::new(
        move || {
            (
                params.read().get("org_id").unwrap_or_default(),
                actions.add.version().get(),
                actions.test.version().get(),
                actions.set_enabled.version().get(),
                actions.remove.version().get(),
            )
        },
        |(org_id, _, _, _, _)| list_webhooks(org_id),
    );
    // The signing secret made by the previous request, taken once.
    let reveal = Resource::new(
        move || query.read().get("reveal"),
        |reveal| async move {
            match reveal {
                Some(id) => take_webhook_reveal(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    // While a delivery is pending (just queued, or waiting for a retry), look again soon:
    // the log shows its outcome without a reload.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let pending = data.with(|d| {
            d.as_ref().is_some_and(|r| {
                r.as_ref().is_ok_and(|d| {
                    d.endpoints
                        .iter()
                        .any(|e| e.deliveries.iter().any(|d| d.state == "pending"))
                })
            })
        });
        if pending {
            set_timeout(move || data.refetch(), REFRESH_PENDING);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(data) => view! { <Webhooks data actions reveal /> }.into_any(),
                        Err(e) => super::load_failed(e),
                    })
            }}
        </Transition>
    }
}

#[component]
fn Webhooks(
    data: WebhooksData,
    actions: WebhookActions,
    reveal: Resource<Option<RevealedSigningSecret>>,
) -> impl IntoView {
    let query = use_query_map();
    let org_id = data.org.id.clone();
    let base = crate::paths::webhooks(&org_id);
    let add_href = format!("{base}?add=1");
    let show_add = move || query.read().get("add").as_deref() == Some("1");
    // The endpoint a test event was just sent to: from the action, or (without
    // JavaScript) from the redirect's `?sent=`.
    let endpoint_urls: Vec<(String, String)> = data
        .endpoints
        .iter()
        .map(|e| (e.id.clone(), e.url.clone()))
        .collect();
    let org_id_for_remove = org_id.clone();
    let sent_to = {
        let endpoints = endpoint_urls.clone();
        move || {
            let id = match actions.test.value().get() {
                Some(Ok(id)) => Some(id),
                Some(Err(_)) => None,
                None => query.read().get("sent"),
            }?;
            endpoints
                .iter()
                .find(|(e, _)| *e == id)
                .map(|(_, url)| url.clone())
        }
    };
    let test_error = FormErrors::either(actions.test, actions.set_enabled).form();
    let empty = data.endpoints.is_empty();
    view! {
        <Title text=format!("Webhooks · {} · GT Keys", data.org.name) />
        <div class="page-head">
            <h1>"Webhooks"</h1>
            <a class="button primary" role="button" href=add_href>"Add endpoint"</a>
        </div>
        <OrgSubnav org_id=org_id.clone() is_admin=true current="webhooks" />
        <p class="muted">
            "GT Keys posts your organisation’s key events to these endpoints, signed as the Standard Webhooks specification describes. "
            "A delivery that fails is retried with backoff for about 31 hours; the log keeps 30 days."
        </p>
        {move || sent_to().map(|url| view! {
            <p class="notice" role="status">{format!("Test event sent to {url}. Its delivery shows in the log below.")}</p>
        })}
        <p class="form-error" role="alert">{test_error}</p>
        {empty.then(|| view! {
            <div class="empty-state">
                "No endpoints yet. Add one to have key events (created, rotated, revoked, leaked, expiring…) posted to your own systems."
            </div>
        })}
        {data
            .endpoints
            .into_iter()
            .map(|endpoint| view! { <Endpoint org_id=org_id.clone() endpoint actions /> })
            .collect_view()}
        <Show when=show_add>
            <AddDialog org_id=org_id.clone() action=actions.add />
        </Show>
        {move || {
            let id = query.read().get("remove")?;
            let url = endpoint_urls.iter().find(|(e, _)| *e == id)?.1.clone();
            Some(view! { <RemoveDialog org_id=org_id_for_remove.clone() endpoint_id=id url action=actions.remove /> })
        }}
        {move || reveal.get().flatten().map(|secret| view! { <SecretReveal secret close_href=base.clone() /> })}
    }
}

/// The events an endpoint wants, as a sentence.
fn events_text(events: &[String]) -> String {
    if events.is_empty() {
        "All events".to_owned()
    } else {
        events.join(", ")
    }
}

/// One endpoint: its URL, state and events, its controls and its delivery log.
#[component]
fn Endpoint(org_id: String, endpoint: WebhookView, actions: WebhookActions) -> impl IntoView {
    let heading_id = format!("endpoint-{}", endpoint.id);
    let labelled_by = heading_id.clone();
    let url = endpoint.url.clone();
    let test_label = format!("Send test event to {url}");
    let (toggle_label, toggle_text) = if endpoint.enabled {
        (format!("Disable {url}"), "Disable")
    } else {
        (format!("Enable {url}"), "Enable")
    };
    let (state_class, state_text) = if endpoint.enabled {
        ("status status-active", "Enabled")
    } else {
        ("status status-disabled", "Disabled")
    };
    let (org_a, org_b) = (org_id.clone(), org_id.clone());
    let (id_a, id_b) = (endpoint.id.clone(), endpoint.id.clone());
    let log_label = format!("Deliveries to {url}");
    let remove_label = format!("Remove {url}");
    let remove_href = format!("{}?remove={}", crate::paths::webhooks(&org_id), endpoint.id);
    view! {
        <section class="card endpoint" aria-labelledby=labelled_by>
            <div class="endpoint-head">
                <h2 id=heading_id class="endpoint-url">{url.clone()}</h2>
                <span class=state_class>{state_text}</span>
            </div>
            <p class="small">
                <span class="muted">"Events: "</span>{events_text(&endpoint.events)}
                <span class="muted">{format!(" · added {} UTC", format_utc(endpoint.created_at))}</span>
            </p>
            <div class="inline-form">
                <ActionForm action=actions.test>
                    <input type="hidden" name="org_id" value=org_a />
                    <input type="hidden" name="endpoint_id" value=id_a />
                    <button class="button" type="submit" aria-label=test_label disabled=!endpoint.enabled>
                        "Send test event"
                    </button>
                </ActionForm>
                <ActionForm action=actions.set_enabled>
                    <input type="hidden" name="org_id" value=org_b />
                    <input type="hidden" name="endpoint_id" value=id_b />
                    <input type="hidden" name="enabled" value=(!endpoint.enabled).to_string() />
                    <button class="button" type="submit" aria-label=toggle_label>{toggle_text}</button>
                </ActionForm>
                <a class="button danger" role="button" href=remove_href aria-label=remove_label>"Remove"</a>
            </div>
            <h3 class="small-heading">"Delivery log"</h3>
            <DeliveryLog deliveries=endpoint.deliveries label=log_label />
        </section>
    }
}

/// An endpoint's latest deliveries, newest first.
#[component]
fn DeliveryLog(deliveries: Vec<DeliveryView>, label: String) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted small">"No deliveries yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="table" aria-label=label>
                <TableHead columns=&["Time (UTC)", "Event", "Status", "HTTP", "Duration", "Attempts"] />
                <tbody>
                    {deliveries.into_iter().map(|d| view! { <DeliveryRowView delivery=d /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn DeliveryRowView(delivery: DeliveryView) -> impl IntoView {
    let (class, state) = match (delivery.state.as_str(), delivery.attempts) {
        ("delivered", _) => ("status status-active", "Delivered"),
        ("failed", _) => ("status status-revoked", "Failed"),
        (_, 0) => ("status", "Pending"),
        _ => ("status status-expiring", "Retrying"),
    };
    let http = match (delivery.last_status, delivery.last_error) {
        (Some(code), _) => code.to_string(),
        (None, Some(error)) => error,
        (None, None) => "—".to_owned(),
    };
    let duration = delivery
        .last_duration_ms
        .map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"));
    view! {
        <tr>
            <td data-label="Time (UTC)"><time>{format_utc(delivery.created_at)}</time></td>
            <td data-label="Event"><code title=delivery.event_id>{delivery.event_type}</code></td>
            <td data-label="Status"><span class=class>{state}</span></td>
            <td data-label="HTTP" class="block">{http}</td>
            <td data-label="Duration" class="number">{duration}</td>
            <td data-label="Attempts" class="number">{delivery.attempts}</td>
        </tr>
    }
}

/// "Add endpoint": the URL and a checkbox per key event (all checked to begin with).
#[component]
fn AddDialog(org_id: String, action: ServerAction<AddWebhook>) -> impl IntoView {
    let errors = FormErrors::of(action, &["url", "events"]);
    let form_error = errors.form();
    let url_error = errors.field("url");
    let events_error = errors.field("events");
    let close = crate::paths::webhooks(&org_id);
    view! {
        <Dialog title="Add endpoint" close_href=close.clone()>
            <ActionForm action>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <div class="field">
                    <label for="webhook-url">"Endpoint URL"</label>
                    <input id="webhook-url" name="url" type="url" required autofocus maxlength="2048"
                        placeholder="https://example.com/webhooks/gt-keys"
                        aria-describedby="webhook-url-help webhook-url-error"
                        aria-invalid=move || url_error.get().is_some().then_some("true") />
                    <p id="webhook-url-help" class="muted small">"A public http or https address. Deliveries are POST requests with a JSON body."</p>
                    <p id="webhook-url-error" class="field-error">{url_error}</p>
                </div>
                <fieldset class="radio-group events" aria-describedby="webhook-events-help webhook-events-error">
                    <legend>"Events"</legend>
                    <div class="event-choices">
                    {KEY_EVENTS.iter().map(|e| {
                        let help = format!("event-{}-help", e.field);
                        let described_by = help.clone();
                        view! {
                            <div class="event-choice">
                                <label>
                                    <input type="checkbox" name=e.field value="on" checked aria-describedby=described_by />
                                    " "<code>{e.name}</code>
                                </label>
                                <p id=help class="muted small">{e.meaning}</p>
                            </div>
                        }
                    }).collect_view()}
                    </div>
                    <p id="webhook-events-help" class="muted small">
                        "With every event checked, the endpoint also gets event types added later. Test events are sent whatever is checked."
                    </p>
                    <p id="webhook-events-error" class="field-error">{events_error}</p>
                </fieldset>
                <p class="form-error" role="alert">{form_error}</p>
                <div class="dialog-actions">
                    <a class="button" href=close>"Cancel"</a>
                    <Submit pending=action.pending() label="Save endpoint" />
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// "Remove endpoint": asks before removing one, naming it.
#[component]
fn RemoveDialog(
    org_id: String,
    endpoint_id: String,
    url: String,
    action: ServerAction<RemoveWebhook>,
) -> impl IntoView {
    let error = FormErrors::of(action, &[]).form();
    let close = crate::paths::webhooks(&org_id);
    view! {
        <Dialog title="Remove endpoint" close_href=close.clone()>
            <p>"Remove "<code class="block">{url}</code>"?"</p>
            <p class="muted">"It gets no more events. Deliveries not yet made are dropped, and its delivery log with them. This cannot be undone."</p>
            <ActionForm action>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <input type="hidden" name="endpoint_id" value=endpoint_id />
                <p class="form-error" role="alert">{error}</p>
                <div class="dialog-actions">
                    <a class="button" href=close>"Cancel"</a>
                    <button class="button danger" type="submit" disabled=move || action.pending().get()>"Remove endpoint"</button>
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// "Save your signing secret": the new endpoint's secret, once, with Copy and Done.
#[component]
fn SecretReveal(secret: RevealedSigningSecret, close_href: String) -> impl IntoView {
    let done = close_href.clone();
    view! {
        <Dialog title="Save your signing secret" close_href=close_href>
            <p class="warning">
                <strong>"This is the only time the signing secret is shown."</strong>
                " Your endpoint checks each delivery’s webhook-signature header with it. Keep it in your secret store; if you lose it, add the endpoint again."
            </p>
            <p class="muted block">{format!("Endpoint {}", secret.url)}</p>
            <div class="copy-row">
                <code class="secret" data-testid="signing-secret">{secret.secret.clone()}</code>
                <CopyButton text=secret.secret label="Copy" />
            </div>
            <div class="dialog-actions">
                <a class="button primary" role="button" href=done>"Done"</a>
            </div>
        </Dialog>
    }
}
