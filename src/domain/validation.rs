//! Input validation shared by the dashboard's forms (in the browser) and the services
//! (on the server), so both give the same message for the same input.

use serde::{Deserialize, Serialize};

/// What was wrong with a field, in words fit to show next to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as the form and API know it (`name`, `default_locale`, …).
    pub field: String,
    /// A sentence for the user.
    pub message: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Longest name (in characters) for keys, projects and organisations.
pub const MAX_NAME_CHARS: usize = 100;

/// Trims a display name and checks it: 1 to 100 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "Enter a name."));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            field,
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "Remove line breaks and control characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks and normalises a BCP 47 style locale tag (`en`, `en-US`, `zh-Hant-TW`,
/// `es-419`): language lowercased, script title-cased, region uppercased.
pub fn locale(field: &str, raw: &str) -> Result<String, FieldError> {
    let invalid = || FieldError::new(field, "Enter a locale code such as en, en-US or zh-Hant.");
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 35 {
        return Err(invalid());
    }
    let mut parts = raw.split(['-', '_']);
    let language = parts.next().ok_or_else(invalid)?;
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(invalid());
    }
    let mut out = language.to_ascii_lowercase();
    for part in parts {
        if part.is_empty() || part.len() > 8 || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        out.push('-');
        let is_script = part.len() == 4 && part.chars().all(|c| c.is_ascii_alphabetic());
        let is_region = (part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()))
            || (part.len() == 3 && part.chars().all(|c| c.is_ascii_digit()));
        if is_script {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
            }
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        } else if is_region {
            out.push_str(&part.to_ascii_uppercase());
        } else {
            out.push_str(&part.to_ascii_lowercase());
        }
    }
    Ok(out)
}

/// Checks an email address loosely (one `@`, something on both sides, a dot in the
/// domain) and lowercases it: the address is an account identifier, not parsed mail.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    let invalid = || FieldError::new(field, "Enter an email address such as ana@example.com.");
    if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = trimmed.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(invalid());
    }
    Ok(trimmed.to_lowercase())
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 hashes anything, but unbounded input is a cheap
/// way to make the server work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password's length. Passwords are never trimmed or changed.
pub fn password(field: &str, raw: &str) -> Result<(), FieldError> {
    let chars = raw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, "Use more than spaces."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_trims_and_rejects_empty_long_and_control() {
        assert_eq!(name("name", "  CI deploy ").as_deref(), Ok("CI deploy"));
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
        assert!(name("name", &"é".repeat(100)).is_ok());
        assert!(name("name", "a\nb").is_err());
    }

    #[test]
    fn locale_normalises_case_and_rejects_junk() {
        assert_eq!(locale("l", "en").as_deref(), Ok("en"));
        assert_eq!(locale("l", "EN_us").as_deref(), Ok("en-US"));
        assert_eq!(locale("l", "zh-hant-tw").as_deref(), Ok("zh-Hant-TW"));
        assert_eq!(locale("l", "es-419").as_deref(), Ok("es-419"));
        for bad in ["", "e", "english", "en--US", "en-US!", "12"] {
            assert!(locale("l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_checks_length_only() {
        assert!(password("password", "short").is_err());
        assert!(password("password", &" ".repeat(20)).is_err());
        assert!(password("password", "twelve chars").is_ok());
        assert!(password("password", &"x".repeat(257)).is_err());
    }

    #[test]
    fn email_lowercases_and_rejects_junk() {
        assert_eq!(
            email("email", " Ana@Example.COM ").as_deref(),
            Ok("ana@example.com")
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }
}
