//! What the key detail page and `gtx-keys key usage` show of a key's use: its requests
//! over a range, the permissions it never asks for, and the traffic an old key still gets
//! after a rotation. Also the list's "Requests (7 days)" and "Remove unused permissions".

use super::audit::AuditAction;
use super::keys::KeyListScope;
use super::usage::MINUTES_KEPT_MS;
use super::{Actor, Services};
use crate::db::models::ApiKeyRecord;
use crate::db::repo::keys::{self, KeyChange};
use crate::db::repo::usage::{self, Buckets};
use crate::domain::key_list::{KeyListQuery, Page};
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::domain::usage::{UsageRange, UsageSeries};
use crate::domain::validation::Problem;
use crate::domain::{KeyId, KeyStatus, Permission, PermissionSet};
use crate::error::{CoreError, CoreResult};
use serde_json::json;
use std::collections::HashMap;

/// How far back "unused permissions" look.
pub const UNUSED_WINDOW_MS: i64 = 30 * DAY_MS;
/// The span of the key lists' "Requests (7 days)".
pub const LIST_WINDOW_MS: i64 = 7 * DAY_MS;

/// A key with its use.
#[derive(Debug)]
pub struct KeyDetail {
    /// The key.
    pub key: ApiKeyRecord,
    /// Its requests over the range, per bucket and outcome.
    pub series: UsageSeries,
    /// Organisation keys: the permissions granted that no request asked for in the last
    /// 30 days.
    pub unused: Option<PermissionSet>,
    /// A rotated key still in its grace period: when it was rotated, and its requests
    /// since.
    pub since_rotation: Option<(i64, u64)>,
    /// The address of its latest platform API call.
    pub last_client_ip: Option<String>,
    /// The user agent of its latest platform API call.
    pub last_user_agent: Option<String>,
}

impl Services {
    /// A key and its use over `range`, if the actor may manage it.
    pub async fn key_detail(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        range: UsageRange,
    ) -> CoreResult<KeyDetail> {
        let now = self.now();
        let mut tx = self.db.begin_read().await?;
        let key = self
            .manageable_key(&mut tx, actor, key_id, Permission::ApiKeysRead)
            .await?;
        let mut series = UsageSeries::empty(range, now);
        for (at, outcome, requests) in usage::series(
            &mut *tx,
            Buckets::Hours,
            &key.id,
            series.first,
            range.bucket_ms(),
        )
        .await?
        {
            series.add(at, outcome, requests);
        }
        let unused = match key.project_id {
            Some(_) => None,
            None => {
                let asked =
                    usage::asked_since(&mut *tx, Buckets::Hours, &key.id, now - UNUSED_WINDOW_MS)
                        .await?;
                Some(asked.missing(&key.permissions))
            }
        };
        let since_rotation = match &key.replaced_by {
            Some(new_id) if key.status(now) != KeyStatus::Expired && key.revoked_at.is_none() => {
                let new = keys::get(&mut *tx, &key.org_id, new_id).await?;
                match new {
                    Some(new) => Some((
                        new.created_at,
                        self.requests_since(&mut tx, &key.id, new.created_at, now)
                            .await?,
                    )),
                    None => None,
                }
            }
            _ => None,
        };
        let (last_client_ip, last_user_agent) = usage::last_client(&mut *tx, &key.id).await?;
        tx.commit().await?;
        Ok(KeyDetail {
            key,
            series,
            unused,
            since_rotation,
            last_client_ip,
            last_user_agent,
        })
    }

    /// A key's requests from `since` on: per minute while those are kept, else per hour
    /// (from the start of `since`'s hour).
    async fn requests_since(
        &self,
        tx: &mut crate::db::Tx,
        key_id: &KeyId,
        since: i64,
        now: i64,
    ) -> CoreResult<u64> {
        let (buckets, from) = if since >= now - MINUTES_KEPT_MS + MINUTE_MS {
            (Buckets::Minutes, since - since.rem_euclid(MINUTE_MS))
        } else {
            (Buckets::Hours, since - since.rem_euclid(HOUR_MS))
        };
        let totals = usage::totals(&mut **tx, buckets, std::slice::from_ref(key_id), from).await?;
        Ok(totals.iter().map(|(_, n)| n).sum())
    }

    /// One page of a key list (as [`Services::list_keys`]) and each listed key's
    /// requests in the last 7 days.
    pub async fn list_keys_with_usage(
        &self,
        actor: &Actor,
        scope: &KeyListScope,
        view: &KeyListQuery,
    ) -> CoreResult<(Page<ApiKeyRecord>, HashMap<KeyId, u64>)> {
        let page = self.list_keys(actor, scope, view).await?;
        let ids: Vec<KeyId> = page.rows.iter().map(|k| k.id.clone()).collect();
        let from = self.now() - LIST_WINDOW_MS;
        let totals = usage::totals(self.db.pool(), Buckets::Hours, &ids, from)
            .await?
            .into_iter()
            .collect();
        Ok((page, totals))
    }

    /// Removes an organisation key's permissions that no request asked for in the last
    /// 30 days (audited, and every cache drops the key).
    pub async fn remove_unused_permissions(
        &self,
        actor: &Actor,
        key_id: &KeyId,
    ) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let (mut tx, key) = self.key_to_change(actor, key_id, now).await?;
        if key.project_id.is_some() {
            return Err(CoreError::Conflict(Problem::KeyPermissionsFixed));
        }
        let asked =
            usage::asked_since(&mut *tx, Buckets::Hours, &key.id, now - UNUSED_WINDOW_MS).await?;
        let kept = key.permissions.intersection(asked);
        if kept == key.permissions {
            return Err(CoreError::Conflict(Problem::NoUnusedPermissions));
        }
        if kept.is_empty() {
            return Err(CoreError::Conflict(Problem::KeyAskedNothing));
        }
        let details = json!({
            "before": key.permissions.to_strings(),
            "after": kept.to_strings(),
            "reason": "not asked for in 30 days",
        });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::Permissions(kept),
            AuditAction::KeyPermissions,
            details,
            now,
        )
        .await
    }
}
