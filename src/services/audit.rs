//! Building audit events.

use super::Actor;
use crate::db::models::AuditEvent;
use crate::db::repo::new_id;
use crate::domain::OrgId;

/// An audit event for `action` on a target, by `actor`, at `now`.
pub(crate) fn event(
    actor: &Actor,
    org_id: Option<&OrgId>,
    action: &str,
    target: (&str, &str, &str),
    details: Option<serde_json::Value>,
    now: i64,
) -> AuditEvent {
    let (target_type, target_id, target_label) = target;
    AuditEvent {
        id: new_id(),
        org_id: org_id.cloned(),
        actor_user_id: actor.user_id(),
        actor_label: actor.label(),
        action: action.to_owned(),
        target_type: Some(target_type.to_owned()),
        target_id: Some(target_id.to_owned()),
        target_label: Some(target_label.to_owned()),
        details: details.map(|d| d.to_string()),
        ip: actor.ip.clone(),
        user_agent: actor.user_agent.clone(),
        occurred_at: now,
    }
}
