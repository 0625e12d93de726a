//! The webhooks page's server functions (admins): the endpoints and their delivery log,
//! add an endpoint (its signing secret revealed once), send a test event, enable and
//! disable, remove.

mod add_webhook;
mod list_webhooks;
mod remove_webhook;
mod send_test_webhook;
mod set_webhook_enabled;
mod take_webhook_reveal;

pub use add_webhook::{AddWebhook, add_webhook};
pub use list_webhooks::{ListWebhooks, list_webhooks};
pub use remove_webhook::{RemoveWebhook, remove_webhook};
pub use send_test_webhook::{SendTestWebhook, send_test_webhook};
pub use set_webhook_enabled::{SetWebhookEnabled, set_webhook_enabled};
pub use take_webhook_reveal::{TakeWebhookReveal, take_webhook_reveal};

use crate::AppError;
use serde::{Deserialize, Serialize};

/// Deliveries the log shows per endpoint.
pub const LOG_ROWS: i64 = 20;

/// The "Add endpoint" form as the page posts it: the URL and one checkbox per key event
/// (named as [`gtx_core::domain::webhook_event::KeyEvent::field`], present when checked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookForm {
    /// The organisation in the URL.
    pub org_id: String,
    /// Where deliveries go.
    pub url: String,
    /// `api_key.created`
    pub created: Option<String>,
    /// `api_key.rotated`
    pub rotated: Option<String>,
    /// `api_key.revoked`
    pub revoked: Option<String>,
    /// `api_key.disabled`
    pub disabled: Option<String>,
    /// `api_key.enabled`
    pub enabled: Option<String>,
    /// `api_key.leaked`
    pub leaked: Option<String>,
    /// `api_key.expiring`
    pub expiring: Option<String>,
    /// `api_key.expired`
    pub expired: Option<String>,
    /// `api_key.stale`
    pub stale: Option<String>,
}

impl NewWebhookForm {
    /// The event types checked, as the service takes them: every key event checked is
    /// "every event" (an empty list, which also takes event types added later); none
    /// checked is an error.
    pub fn events(&self) -> Result<Vec<String>, AppError> {
        use gtx_core::domain::webhook_event::KEY_EVENTS;
        let checked: Vec<String> = KEY_EVENTS
            .iter()
            .filter(|e| self.checked(e.field))
            .map(|e| e.name.to_owned())
            .collect();
        match checked.len() {
            0 => Err(AppError::invalid(
                "events",
                gtx_core::domain::validation::Problem::WebhookNoEvents,
            )),
            n if n == KEY_EVENTS.len() => Ok(Vec::new()),
            _ => Ok(checked),
        }
    }

    /// Whether the checkbox `field` was checked.
    fn checked(&self, field: &str) -> bool {
        match field {
            "created" => self.created.is_some(),
            "rotated" => self.rotated.is_some(),
            "revoked" => self.revoked.is_some(),
            "disabled" => self.disabled.is_some(),
            "enabled" => self.enabled.is_some(),
            "leaked" => self.leaked.is_some(),
            "expiring" => self.expiring.is_some(),
            "expired" => self.expired.is_some(),
            "stale" => self.stale.is_some(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(checked: &[&str]) -> NewWebhookForm {
        let on = |f: &str| checked.contains(&f).then(|| "on".to_owned());
        NewWebhookForm {
            org_id: "o".into(),
            url: "https://example.com/hook".into(),
            created: on("created"),
            rotated: on("rotated"),
            revoked: on("revoked"),
            disabled: on("disabled"),
            enabled: on("enabled"),
            leaked: on("leaked"),
            expiring: on("expiring"),
            expired: on("expired"),
            stale: on("stale"),
        }
    }

    #[test]
    fn events_every_box_checked_is_every_event() {
        let all: Vec<&str> = gtx_core::domain::webhook_event::KEY_EVENTS
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(form(&all).events().ok(), Some(Vec::new()));
    }

    #[test]
    fn events_some_boxes_checked_are_those_types() {
        assert_eq!(
            form(&["stale", "created"]).events().ok(),
            Some(vec![
                "api_key.created".to_owned(),
                "api_key.stale".to_owned()
            ])
        );
    }

    #[test]
    fn events_no_box_checked_is_refused_next_to_the_events() {
        let error = form(&[]).events().err();
        assert_eq!(
            error.and_then(|e| e.field_message("events")).as_deref(),
            Some("Choose at least one event.")
        );
    }
}
