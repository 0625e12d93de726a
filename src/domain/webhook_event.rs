//! The event types webhook endpoints subscribe to, shared by the service, the CLI and the
//! webhooks page (which shows a checkbox for each key event).

/// A key event an endpoint can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    /// Its type, as deliveries name it (`api_key.created`).
    pub name: &'static str,
    /// Its form field on the webhooks page (`created`).
    pub field: &'static str,
    /// What it means, for the page.
    pub meaning: &'static str,
}

/// The key events, in the order the page lists them.
pub const KEY_EVENTS: [KeyEvent; 9] = [
    KeyEvent {
        name: "api_key.created",
        field: "created",
        meaning: "A key was created.",
    },
    KeyEvent {
        name: "api_key.rotated",
        field: "rotated",
        meaning: "A key was rotated.",
    },
    KeyEvent {
        name: "api_key.revoked",
        field: "revoked",
        meaning: "A key was revoked.",
    },
    KeyEvent {
        name: "api_key.disabled",
        field: "disabled",
        meaning: "A key was disabled, by an admin or for being unused.",
    },
    KeyEvent {
        name: "api_key.enabled",
        field: "enabled",
        meaning: "A disabled key was enabled again.",
    },
    KeyEvent {
        name: "api_key.leaked",
        field: "leaked",
        meaning: "A key was reported leaked and revoked.",
    },
    KeyEvent {
        name: "api_key.expiring",
        field: "expiring",
        meaning: "A key expires in 7 days, and again 1 day before.",
    },
    KeyEvent {
        name: "api_key.expired",
        field: "expired",
        meaning: "A key expired.",
    },
    KeyEvent {
        name: "api_key.stale",
        field: "stale",
        meaning: "A key has not been used for 90 days.",
    },
];

/// The test event "Send test event" sends to one endpoint, whatever it subscribes to.
pub const TEST_EVENT: &str = "webhook.test";

/// Every event type an endpoint can name: the key events and the test event.
pub const EVENT_TYPES: [&str; 10] = [
    KEY_EVENTS[0].name,
    KEY_EVENTS[1].name,
    KEY_EVENTS[2].name,
    KEY_EVENTS[3].name,
    KEY_EVENTS[4].name,
    KEY_EVENTS[5].name,
    KEY_EVENTS[6].name,
    KEY_EVENTS[7].name,
    KEY_EVENTS[8].name,
    TEST_EVENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_the_key_events_and_the_test_event() {
        assert_eq!(EVENT_TYPES.len(), KEY_EVENTS.len() + 1);
        for (event, name) in KEY_EVENTS.iter().zip(EVENT_TYPES) {
            assert_eq!(event.name, name);
            assert_eq!(Some(event.field), name.strip_prefix("api_key."));
        }
        assert_eq!(EVENT_TYPES.last(), Some(&TEST_EVENT));
    }
}
