//! Durations as people type them: `90d`, `24h`, `1y`, `2w`.

use super::validation::{FieldError, Problem};

const HOUR_MS: i64 = 60 * 60 * 1000;

/// The longest expiry a key may be given from now (5 years).
pub const MAX_EXPIRY_MS: i64 = 5 * 365 * 24 * HOUR_MS;

/// Parses `<n><unit>` with unit `h` (hours), `d` (days), `w` (weeks) or `y` (365 days)
/// into milliseconds; 1 hour to 5 years.
pub fn parse_duration_ms(field: &str, text: &str) -> Result<i64, FieldError> {
    let invalid = || FieldError::new(field, Problem::Duration);
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(invalid)?;
    let number: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| invalid())?;
    let unit_ms = match unit {
        'h' => HOUR_MS,
        'd' => 24 * HOUR_MS,
        'w' => 7 * 24 * HOUR_MS,
        'y' => 365 * 24 * HOUR_MS,
        _ => return Err(invalid()),
    };
    let ms = number.checked_mul(unit_ms).ok_or_else(invalid)?;
    if !(HOUR_MS..=MAX_EXPIRY_MS).contains(&ms) {
        return Err(invalid());
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_duration_accepts_units_and_rejects_junk() {
        assert_eq!(parse_duration_ms("e", "90d"), Ok(90 * 24 * HOUR_MS));
        assert_eq!(parse_duration_ms("e", "24h"), Ok(24 * HOUR_MS));
        assert_eq!(parse_duration_ms("e", "1y"), Ok(365 * 24 * HOUR_MS));
        assert_eq!(parse_duration_ms("e", "2w"), Ok(14 * 24 * HOUR_MS));
        for bad in [
            "",
            "d",
            "90",
            "-5d",
            "0d",
            "6y",
            "99999999999999999y",
            "1.5d",
            "10x",
            "é",
        ] {
            assert!(parse_duration_ms("e", bad).is_err(), "{bad}");
        }
    }
}
