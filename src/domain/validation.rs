//! Input validation shared by the dashboard's forms (in the browser) and the services
//! (on the server), so both give the same message for the same input.
//!
//! Every message a user can be shown for bad input or a conflict is one of the fixed
//! sentences of [`Problem`]. Errors travel to the page by their [`Problem`] *code*, never
//! as text: a dashboard form posted without JavaScript gets its error back through a
//! link (`?__err=…`), and a link anyone can craft must not be able to put words of its
//! own on the page.

use serde::{Deserialize, Serialize};

pub use super::problem::Problem;

/// What was wrong with a field: the field's name and the [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The field's name as the form and API know it (`name`, `default_locale`, …).
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: &str, problem: Problem) -> Self {
        Self {
            field: field.to_owned(),
            problem,
        }
    }

    /// The sentence for the user.
    pub fn message(&self) -> &'static str {
        self.problem.message()
    }
}

/// Longest name (in characters) for keys, projects and organisations.
pub const MAX_NAME_CHARS: usize = 100;

/// Longest key description (in characters).
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Trims a key's description and checks it: at most 500 characters, no control
/// characters but line breaks and tabs, no invisible formatting characters. Line breaks
/// are kept as `\n`.
pub fn description(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim().replace("\r\n", "\n");
    if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(field, Problem::DescriptionTooLong));
    }
    if trimmed
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible_format(c))
    {
        return Err(FieldError::new(field, Problem::DescriptionControl));
    }
    Ok(trimmed)
}

/// Trims a display name and checks it: 1 to 100 characters, no control characters and no
/// invisible formatting characters (a right-to-left override or a zero-width space in a
/// key's name would make one key look like another in lists and the audit log).
pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, Problem::NameEmpty));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(field, Problem::NameTooLong));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, Problem::NameControl));
    }
    if trimmed.chars().any(is_invisible_format) {
        return Err(FieldError::new(field, Problem::NameInvisible));
    }
    Ok(trimmed.to_owned())
}

/// Unicode format characters (general category Cf) that change how text is shown
/// without showing themselves, and the fillers that look like nothing: bidirectional
/// embeddings, overrides and isolates, zero-width spaces and joiners, word joiners,
/// invisible operators, the byte order mark, interlinear annotations, tag characters,
/// and the Hangul and Braille blanks. (Variation selectors stay allowed: emoji such as
/// ⚠️ need them, and they only pick a glyph.) Inclusive ranges.
const INVISIBLE_FORMAT: [(char, char); 17] = [
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{115F}', '\u{1160}'),   // Hangul fillers
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels
    ('\u{180B}', '\u{180F}'),   // Mongolian variation selectors and vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, (non-)joiner, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates, deprecated format characters
    ('\u{2800}', '\u{2800}'),   // Braille blank
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space (BOM)
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{1D173}', '\u{1D17A}'), // musical format characters
    ('\u{E0000}', '\u{E007F}'), // tag characters
];

/// Whether `c` is one of the invisible formatting characters a name may not hold (see
/// `INVISIBLE_FORMAT`).
pub fn is_invisible_format(c: char) -> bool {
    INVISIBLE_FORMAT
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// The invisible formatting characters of the Basic Multilingual Plane as the inside of
/// a regular-expression character class.
fn invisible_class() -> String {
    let mut class = String::new();
    for (first, last) in INVISIBLE_FORMAT {
        if u32::from(last) > 0xFFFF {
            continue;
        }
        class.push_str(&format!(r"\u{:04x}", u32::from(first)));
        if last != first {
            class.push_str(&format!(r"-\u{:04x}", u32::from(last)));
        }
    }
    class
}

/// The description rule of [`description`] as an ECMA-262 regular expression, for the
/// OpenAPI schema: no control character but line breaks and tabs (a carriage return is
/// refused here, though the dashboard reads `\r\n` as a line break), no invisible
/// formatting character of the Basic Multilingual Plane, no surrounding whitespace (the
/// dashboard trims it); empty for none. The length is [`MAX_DESCRIPTION_CHARS`].
pub fn description_pattern() -> String {
    format!(
        r"^(?![\s\S]*[\x00-\x08\x0b-\x1f\x7f-\x9f{}])(?:\S(?:[\s\S]*\S)?)?$",
        invisible_class()
    )
}

/// The name rule of [`name`] as an ECMA-262 regular expression, for the OpenAPI schema:
/// no control character, no invisible formatting character of the Basic Multilingual
/// Plane (a schema pattern cannot name the others portably; [`name`] refuses them all),
/// no surrounding whitespace. The length is [`MAX_NAME_CHARS`], apart.
pub fn name_pattern() -> String {
    let class = format!(r"\x00-\x1f\x7f-\x9f{}", invisible_class());
    format!(r"^(?![\s\S]*[{class}])\S(?:[\s\S]*\S)?$")
}

/// Longest locale tag, in bytes.
pub const MAX_LOCALE_CHARS: usize = 35;

/// The locale rule of [`locale`] as an ECMA-262 regular expression, for the OpenAPI
/// schema: a 2–3 letter language, then parts of 1–8 letters or digits after `-` or `_`.
pub const LOCALE_PATTERN: &str = r"^(?![\s\S]*\s)[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$";

/// Checks and normalises a BCP 47 style locale tag (`en`, `en-US`, `zh-Hant-TW`,
/// `es-419`): language lowercased, script title-cased, region uppercased.
pub fn locale(field: &str, raw: &str) -> Result<String, FieldError> {
    let invalid = || FieldError::new(field, Problem::Locale);
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_LOCALE_CHARS {
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
    let invalid = || FieldError::new(field, Problem::Email);
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
        return Err(FieldError::new(field, Problem::PasswordTooShort));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(field, Problem::PasswordTooLong));
    }
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, Problem::PasswordBlank));
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
    fn name_rejects_bidi_overrides_and_zero_width_characters() {
        for bad in [
            "CI\u{202E}yolpeD",
            "CI\u{200B}deploy",
            "\u{2066}admin\u{2069}",
            "key\u{FEFF}",
            "a\u{00AD}b",
            "tag\u{E0041}",
        ] {
            let err = name("name", bad).expect_err(bad);
            assert_eq!(err.problem, Problem::NameInvisible, "{bad:?}");
        }
        // Visible scripts, accents, emoji and their joiner sequences' letters stay allowed.
        for good in [
            "Déploiement CI",
            "デプロイ",
            "مفتاح",
            "Key 🚀",
            "Prod ⚠\u{FE0F}",
        ] {
            assert!(name("name", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn problem_messages_are_sentences() {
        for p in [
            Problem::NameEmpty,
            Problem::KeyAlreadyRevoked,
            Problem::SetupToken,
        ] {
            assert!(p.message().ends_with('.'), "{p:?}");
            assert_eq!(p.to_string(), p.message());
        }
    }

    #[test]
    fn description_keeps_line_breaks_and_refuses_the_rest() {
        assert_eq!(
            description("d", "  Deploys the\r\ndocs site.\t ").as_deref(),
            Ok("Deploys the\ndocs site.")
        );
        assert_eq!(description("d", "").as_deref(), Ok(""));
        assert_eq!(
            description("d", &"é".repeat(500)).map(|d| d.chars().count()),
            Ok(500)
        );
        let problem = |raw: &str| description("d", raw).err().map(|e| e.problem);
        assert_eq!(problem(&"x".repeat(501)), Some(Problem::DescriptionTooLong));
        assert_eq!(problem("bell\u{7}"), Some(Problem::DescriptionControl));
        assert_eq!(
            problem("evil\u{202E}txt"),
            Some(Problem::DescriptionControl)
        );
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
