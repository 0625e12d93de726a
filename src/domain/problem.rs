//! Every message a user can be shown for bad input or a conflict: a fixed sentence per
//! [`Problem`] (see `validation`, which says why they travel as codes).

use serde::{Deserialize, Serialize};

/// What is wrong with an input, or why a change conflicts: each a fixed sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Problem {
    /// An empty name.
    NameEmpty,
    /// A name over [`super::validation::MAX_NAME_CHARS`].
    NameTooLong,
    /// Line breaks or other control characters in a name.
    NameControl,
    /// Invisible formatting characters (bidi overrides, zero-width) in a name.
    NameInvisible,
    /// Not a locale tag.
    Locale,
    /// Not an email address.
    Email,
    /// A password under [`MIN_PASSWORD_CHARS`].
    PasswordTooShort,
    /// A password over [`MAX_PASSWORD_CHARS`].
    PasswordTooLong,
    /// A password of spaces only.
    PasswordBlank,
    /// The wrong first-run setup token.
    SetupToken,
    /// An account with this email exists.
    EmailTaken,
    /// Accepting an invite for an email that has an account.
    InviteEmailHasAccount,
    /// Inviting someone who is already a member.
    AlreadyMember,
    /// Adding a non-member to a project.
    NotAMember,
    /// A role other than Admin or Member.
    Role,
    /// The change would leave the organisation without an admin.
    LastAdmin,
    /// An expiry in the past.
    ExpiryPast,
    /// An expiry too far away.
    ExpiryTooFar,
    /// An expiry date that does not parse.
    ExpiryDateFormat,
    /// An expiry date of today or earlier.
    ExpiryDatePast,
    /// An expiry date too far away.
    ExpiryDateTooFar,
    /// An expiry choice that is not offered.
    ExpiryChoice,
    /// A duration that does not parse (the CLI's `--expires-in`).
    Duration,
    /// A grace period that is not offered.
    Grace,
    /// A project key type other than Production or Development.
    KeyType,
    /// A key without any permission.
    NoPermission,
    /// A permission level the resource does not offer.
    PermissionLevel,
    /// Another active key of the project has this name.
    KeyNameTakenInProject,
    /// Another active organisation key has this name.
    KeyNameTakenInOrg,
    /// Rotating a revoked key.
    KeyRevoked,
    /// Rotating a key that was rotated already.
    KeyRotated,
    /// Rotating an expired key.
    KeyExpired,
    /// The key changed while it was being rotated.
    KeyChanged,
    /// Revoking a revoked key.
    KeyAlreadyRevoked,
    /// Disabling a disabled key.
    KeyAlreadyDisabled,
    /// Enabling a key that is not disabled.
    KeyNotDisabled,
    /// Rotating a disabled key.
    KeyDisabled,
    /// Ending the grace period of a key that is not in one.
    KeyNotInGrace,
    /// Editing the permissions of a project key (they are fixed).
    KeyPermissionsFixed,
    /// A description over [`super::validation::MAX_DESCRIPTION_CHARS`].
    DescriptionTooLong,
    /// Control characters (other than line breaks and tabs) in a description.
    DescriptionControl,
    /// An allow-list entry that is neither an IP address nor a network.
    IpNetwork,
    /// More than [`super::ip_allowlist::MAX_NETWORKS`] networks.
    IpNetworksTooMany,
    /// "Remove unused permissions" on a key that used every one.
    NoUnusedPermissions,
    /// "Remove unused permissions" on a key that asked for none.
    KeyAskedNothing,
    /// A maximum key lifetime that is not offered.
    PolicyLifetime,
    /// A "disable unused keys after" that is not offered.
    PolicyUnused,
    /// An expiry beyond the organisation's maximum key lifetime (or never, with one).
    ExpiryOverPolicy,
    /// A key's new expiry not earlier than its current one (expiry is only shortened).
    ExpiryNotEarlier,
    /// A leak report's URL that is not an http(s) URL of at most 2,048 bytes.
    LeakUrl,
    /// A leak report's source over 100 characters or with control characters.
    LeakSource,
    /// A webhook endpoint URL that is not an http(s) URL of at most 2,048 characters.
    WebhookUrl,
    /// A webhook endpoint on a private, loopback or link-local address.
    WebhookPrivate,
    /// A webhook event type that does not exist.
    WebhookEvent,
    /// A webhook endpoint with no event chosen.
    WebhookNoEvents,
    /// A test event for a disabled webhook endpoint.
    WebhookDisabled,
}

impl Problem {
    /// The sentence shown to the user.
    pub fn message(self) -> &'static str {
        match self {
            Self::NameEmpty => "Enter a name.",
            Self::NameTooLong => "Use at most 100 characters.",
            Self::NameControl => "Remove line breaks and control characters.",
            Self::NameInvisible => {
                "Remove invisible formatting characters (such as direction overrides or zero-width spaces)."
            }
            Self::Locale => "Enter a locale code such as en, en-US or zh-Hant.",
            Self::Email => "Enter an email address such as ana@example.com.",
            Self::PasswordTooShort => "Use at least 12 characters.",
            Self::PasswordTooLong => "Use at most 256 characters.",
            Self::PasswordBlank => "Use more than spaces.",
            Self::SetupToken => {
                "This setup token is not correct. Copy it from the server's console."
            }
            Self::EmailTaken => "An account with this email already exists.",
            Self::InviteEmailHasAccount => {
                "An account with this email already exists. Ask an admin to add it, or sign in."
            }
            Self::AlreadyMember => "This person is already a member.",
            Self::NotAMember => "No member of this organisation has this email. Invite them first.",
            Self::Role => "Choose Admin or Member.",
            Self::LastAdmin => {
                "The organisation needs at least one admin: make someone else admin first."
            }
            Self::ExpiryPast => "Choose an expiry in the future.",
            Self::ExpiryTooFar => "Choose an expiry at most 5 years away.",
            Self::ExpiryDateFormat => "Enter a date as YYYY-MM-DD, e.g. 2027-06-30.",
            Self::ExpiryDatePast => {
                "Choose a date after today (the key works until the end of that day, UTC)."
            }
            Self::ExpiryDateTooFar => "Choose a date at most 5 years away.",
            Self::ExpiryChoice => "Choose Never, 30, 60 or 90 days, 1 year, or a date.",
            Self::Duration => "Use a duration such as 24h, 30d, 90d or 1y (at most 5y).",
            Self::Grace => "Choose Now, 1 hour, 24 hours or 7 days.",
            Self::KeyType => "Choose Production or Development.",
            Self::NoPermission => "Choose at least one permission.",
            Self::PermissionLevel => "Choose one of the offered levels for each permission.",
            Self::KeyNameTakenInProject => {
                "An active key with this name already exists in this project. Choose another name."
            }
            Self::KeyNameTakenInOrg => {
                "An active organisation key with this name already exists. Choose another name."
            }
            Self::KeyRevoked => "This key is revoked: create a new key instead.",
            Self::KeyRotated => "This key was already rotated: rotate its replacement instead.",
            Self::KeyExpired => "This key has expired: create a new key instead.",
            Self::KeyChanged => "This key changed meanwhile: reload and try again.",
            Self::KeyAlreadyRevoked => "This key is already revoked.",
            Self::KeyAlreadyDisabled => "This key is already disabled.",
            Self::KeyNotDisabled => "This key is not disabled.",
            Self::KeyDisabled => "This key is disabled: enable it before rotating it.",
            Self::KeyNotInGrace => {
                "This key is not in a rotation's grace period: revoke it to stop it."
            }
            Self::KeyPermissionsFixed => {
                "A project key holds every project permission: only an organisation key's permissions can be edited."
            }
            Self::DescriptionTooLong => "Use at most 500 characters.",
            Self::DescriptionControl => "Remove control characters (line breaks are fine).",
            Self::IpNetwork => {
                "Enter IP addresses or networks such as 203.0.113.0/24 or 2001:db8::/32, one per line."
            }
            Self::IpNetworksTooMany => "Use at most 50 networks.",
            Self::NoUnusedPermissions => {
                "Every permission of this key was asked for in the last 30 days: none to remove."
            }
            Self::PolicyLifetime => "Choose None, 30, 90 or 365 days.",
            Self::PolicyUnused => "Choose Off, 30, 60 or 90 days.",
            Self::ExpiryOverPolicy => {
                "Your organisation's policy limits how long a key may live: choose an earlier expiry."
            }
            Self::ExpiryNotEarlier => {
                "A key's expiry can only be brought forward: choose a time before its current expiry."
            }
            Self::LeakUrl => {
                "Give the address where the key was found: an http or https URL of at most 2,048 characters."
            }
            Self::WebhookUrl => {
                "Enter the endpoint's http or https URL (at most 2,048 characters, no user name or password)."
            }
            Self::WebhookPrivate => {
                "This address is on a private network: webhooks go to public addresses only."
            }
            Self::WebhookEvent => "Choose events from the list.",
            Self::WebhookNoEvents => "Choose at least one event.",
            Self::WebhookDisabled => {
                "This endpoint is disabled: enable it to send it a test event."
            }
            Self::LeakSource => {
                "Say where the key was found in at most 100 characters, on one line."
            }
            Self::KeyAskedNothing => {
                "This key asked for no permission in the last 30 days: disable or revoke it instead."
            }
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}
