//! Device cookies (OWASP's "device cookie" lockout scheme): proof that this browser has
//! signed in to an account before, so the account's lock against strangers does not
//! lock its owner out (see `throttle`).
//!
//! The value is `v1.<user id>.<nonce>.<mac>`: the MAC is HMAC-SHA256 under the server
//! secret (with a label of its own, so no key digest or session digest can be passed
//! off as one), truncated to 128 bits, and checked in constant time. It proves nothing
//! but "this browser signed in as this user once", which is all the scheme needs: it
//! grants no access by itself.

use super::Services;
use crate::domain::UserId;
use crate::keys::random_token;
use secrecy::SecretString;
use subtle::ConstantTimeEq;

/// Name of the device cookie (`__Host-`: `Secure`, `Path=/`, no `Domain`).
pub const DEVICE_COOKIE: &str = "__Host-gtx_device";
/// How long a browser keeps its device cookie.
pub const DEVICE_COOKIE_MAX_AGE_SECS: i64 = 180 * 24 * 60 * 60;
/// Bytes of the HMAC kept in the cookie.
const MAC_BYTES: usize = 16;
/// Longest cookie value read (user ids are 36 characters).
const MAX_LEN: usize = 160;

/// A device cookie whose MAC checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Device {
    /// The account it was issued for.
    pub user_id: UserId,
    /// Its own random part: the throttle counts this device's failures under it.
    pub nonce: String,
}

impl Services {
    /// A new device cookie value for `user_id`.
    pub(crate) fn issue_device_cookie(&self, user_id: &UserId) -> SecretString {
        let nonce = random_token(22);
        let mac = hex::encode(self.device_mac(user_id.as_str(), &nonce));
        SecretString::from(format!("v1.{}.{nonce}.{mac}", user_id.as_str()))
    }

    /// The device a cookie value names, when its MAC is right.
    pub(crate) fn read_device_cookie(&self, value: &str) -> Option<Device> {
        if value.len() > MAX_LEN {
            return None;
        }
        let mut parts = value.split('.');
        let (Some("v1"), Some(user), Some(nonce), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let presented = hex::decode(mac).ok()?;
        let expected = self.device_mac(user, nonce);
        bool::from(presented.as_slice().ct_eq(expected.as_slice())).then(|| Device {
            user_id: UserId(user.to_owned()),
            nonce: nonce.to_owned(),
        })
    }

    fn device_mac(&self, user_id: &str, nonce: &str) -> [u8; MAC_BYTES] {
        let digest = self
            .secret
            .digest(&format!("gtx-keys device cookie v1\n{user_id}\n{nonce}"));
        let mut mac = [0; MAC_BYTES];
        mac.copy_from_slice(&digest.0[..MAC_BYTES]);
        mac
    }
}
