//! A key's usage chart, drawn on the server as SVG (so it shows without JavaScript):
//! one bar per bucket, stacked by outcome in the Okabe–Ito colours (distinct for the
//! common kinds of colour blindness), with a text summary and a table of the same numbers
//! for screen readers and for reading exact values.
//!
//! Written as text in one pass, like the key rows: a 30-day chart is a few hundred
//! elements, which as views would be futures in the server's render and types in the
//! WASM. Nothing here comes from a user but numbers and fixed labels.

use gtx_core::domain::time::{format_date, format_utc};
use gtx_core::domain::usage::{OUTCOMES, Outcome, UsageRange, UsageSeries};
use std::fmt::Write;

/// The class of an outcome's legend swatch (the stylesheet colours it as [`colour`]:
/// the page's CSP allows no inline styles).
fn swatch_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Valid => "swatch-valid",
        Outcome::Revoked => "swatch-revoked",
        Outcome::Expired => "swatch-expired",
        Outcome::Disabled => "swatch-disabled",
        Outcome::IpNotAllowed => "swatch-ip",
        Outcome::WrongProject => "swatch-project",
        Outcome::InsufficientPermissions => "swatch-permission",
    }
}

/// The colour of an outcome's bars (Okabe–Ito).
pub fn colour(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Valid => "#0072B2",
        Outcome::Revoked => "#D55E00",
        Outcome::Expired => "#E69F00",
        Outcome::Disabled => "#000000",
        Outcome::IpNotAllowed => "#CC79A7",
        Outcome::WrongProject => "#56B4E9",
        Outcome::InsufficientPermissions => "#009E73",
    }
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
/// Room for the value axis on the left and the time axis below.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A bucket's name: its hour (`2026-11-30 14:00`) or its day (`2026-11-30`).
fn bucket_label(range: UsageRange, start: i64) -> String {
    match range {
        UsageRange::Day => format!("{} UTC", format_utc(start)),
        UsageRange::Week | UsageRange::Month => format_date(start),
    }
}

/// The short label under a bar, for some bars only.
fn tick_label(range: UsageRange, start: i64, i: usize) -> Option<String> {
    match range {
        UsageRange::Day => i
            .is_multiple_of(6)
            .then(|| format_utc(start)[11..].to_owned()),
        UsageRange::Week => Some(format_date(start)[5..].to_owned()),
        UsageRange::Month => i
            .is_multiple_of(5)
            .then(|| format_date(start)[5..].to_owned()),
    }
}

/// A round top for the value axis at or above `max`.
fn axis_top(max: u64) -> u64 {
    if max <= 4 {
        return 4;
    }
    let magnitude = 10u64.pow(max.ilog10());
    for step in [1, 2, 5, 10] {
        let top = magnitude * step;
        if top >= max {
            // A top with a clean half.
            return top;
        }
    }
    magnitude * 10
}

/// The sentence that names the chart: the range, the total, and how many failed and why.
pub fn summary(series: &UsageSeries) -> String {
    let totals = series.totals();
    let all: u64 = totals.iter().sum();
    let range = series.range.label();
    if all == 0 {
        return format!("Requests over the last {range}: none.");
    }
    let ok = totals[Outcome::Valid.index()];
    let failures: Vec<String> = Outcome::ALL[1..]
        .iter()
        .filter(|o| totals[o.index()] > 0)
        .map(|o| {
            format!(
                "{} {}",
                o.label().to_lowercase(),
                thousands(totals[o.index()])
            )
        })
        .collect();
    let failed = all - ok;
    let mut text = format!(
        "Requests over the last {range}: {} in all, {} succeeded",
        thousands(all),
        thousands(ok)
    );
    if failed > 0 {
        let _ = write!(
            text,
            ", {} failed ({})",
            thousands(failed),
            failures.join(", ")
        );
    }
    text.push('.');
    text
}

/// The chart as an SVG element named by [`summary`].
pub fn svg(series: &UsageSeries) -> String {
    let n = series.buckets.len().max(1);
    let totals: Vec<u64> = series.buckets.iter().map(|b| b.iter().sum()).collect();
    let top = axis_top(totals.iter().copied().max().unwrap_or(0));
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let y_of = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let mut out = String::with_capacity(600 + n * 200);
    let _ = write!(
        out,
        r#"<svg class="usage-chart" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>"#,
        label = summary(series)
    );
    // Grid lines and value labels at 0, half and the top.
    for v in [0, top / 2, top] {
        let y = y_of(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d5dd" stroke-width="1"/><text x="{x:.1}" y="{ty:.1}" text-anchor="end" class="axis">{v}</text>"##,
            x = LEFT - 6.0,
            ty = y + 4.0,
            v = thousands(v)
        );
    }
    for (i, counts) in series.buckets.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let start = series.start_of(i);
        let mut base = 0u64;
        for outcome in Outcome::ALL {
            let c = counts[outcome.index()];
            if c == 0 {
                continue;
            }
            let (y0, y1) = (y_of(base), y_of(base + c));
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y1:.1}" width="{bar:.1}" height="{h:.1}" fill="{fill}"><title>{when}: {count} {what}</title></rect>"#,
                h = (y0 - y1).max(0.5),
                fill = colour(outcome),
                when = bucket_label(series.range, start),
                count = thousands(c),
                what = outcome.label().to_lowercase()
            );
            base += c;
        }
        if let Some(label) = tick_label(series.range, start, i) {
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle" class="axis">{label}</text>"#,
                cx = x + bar / 2.0,
                y = HEIGHT - 6.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The legend: a swatch and a label per outcome that occurs (always "Succeeded").
pub fn legend(series: &UsageSeries) -> String {
    let totals = series.totals();
    let mut out = String::from(r#"<ul class="chart-legend">"#);
    for outcome in Outcome::ALL {
        if outcome != Outcome::Valid && totals[outcome.index()] == 0 {
            continue;
        }
        let _ = write!(
            out,
            r#"<li><span class="swatch {}" aria-hidden="true"></span>{}</li>"#,
            swatch_class(outcome),
            outcome.label()
        );
    }
    out.push_str("</ul>");
    out
}

/// The same numbers as a table: a row per bucket, a column per outcome that occurs.
pub fn table(series: &UsageSeries) -> String {
    let totals = series.totals();
    let shown: Vec<Outcome> = Outcome::ALL
        .into_iter()
        .filter(|o| *o == Outcome::Valid || totals[o.index()] > 0)
        .collect();
    let period = match series.range {
        UsageRange::Day => "Hour (UTC)",
        UsageRange::Week | UsageRange::Month => "Day (UTC)",
    };
    let mut out = format!(
        r#"<table class="table usage-table"><caption>Requests per {} over the last {}</caption><thead><tr><th scope="col">{period}</th><th scope="col">Requests</th>"#,
        if series.range == UsageRange::Day {
            "hour"
        } else {
            "day"
        },
        series.range.label()
    );
    for o in &shown {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, o.label());
    }
    out.push_str("</tr></thead><tbody>");
    let row = |out: &mut String, label: &str, counts: &[u64; OUTCOMES]| {
        let _ = write!(
            out,
            r#"<tr><th scope="row">{label}</th><td>{}</td>"#,
            thousands(counts.iter().sum())
        );
        for o in &shown {
            let _ = write!(out, "<td>{}</td>", thousands(counts[o.index()]));
        }
        out.push_str("</tr>");
    };
    // Newest first: the rows one reads for "what is happening now".
    for (i, counts) in series.buckets.iter().enumerate().rev() {
        row(
            &mut out,
            &bucket_label(series.range, series.start_of(i)),
            counts,
        );
    }
    out.push_str("</tbody><tfoot>");
    row(&mut out, "Total", &totals);
    out.push_str("</tfoot></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gtx_core::domain::time::DAY_MS;

    fn series() -> UsageSeries {
        let now = 20_000 * DAY_MS + 3_600_000 * 5;
        let mut s = UsageSeries::empty(UsageRange::Week, now);
        s.add(now, Outcome::Valid, 1_200);
        s.add(now, Outcome::Revoked, 30);
        s.add(s.first, Outcome::Expired, 4);
        s
    }

    #[test]
    fn summary_names_the_total_and_each_failure() {
        assert_eq!(
            summary(&series()),
            "Requests over the last 7 days: 1,234 in all, 1,200 succeeded, 34 failed (revoked 30, expired 4)."
        );
        let empty = UsageSeries::empty(UsageRange::Day, 0);
        assert_eq!(summary(&empty), "Requests over the last 24 hours: none.");
    }

    #[test]
    fn svg_stacks_a_rect_per_outcome_of_each_bucket() {
        let svg = svg(&series());
        assert!(svg.starts_with(r#"<svg class="usage-chart" role="img" aria-label="Requests over the last 7 days: 1,234"#));
        assert_eq!(svg.matches("<rect ").count(), 3);
        assert!(
            svg.contains(r##"fill="#D55E00"><title>2024-10-04: 30 revoked</title>"##),
            "{svg}"
        );
        assert_eq!(axis_top(1_230), 2_000);
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(0), 4);
    }

    #[test]
    fn table_has_the_same_numbers_newest_first() {
        let table = table(&series());
        assert!(table.contains(r#"<th scope="col">Succeeded</th><th scope="col">Revoked</th><th scope="col">Expired</th></tr>"#));
        assert!(!table.contains("Wrong project"), "only outcomes that occur");
        let first_row = table
            .split("<tbody>")
            .nth(1)
            .and_then(|t| t.split("</tr>").next());
        assert_eq!(
            first_row,
            Some(
                r#"<tr><th scope="row">2024-10-04</th><td>1,230</td><td>1,200</td><td>30</td><td>0</td>"#
            )
        );
        assert!(table.contains(r#"<tfoot><tr><th scope="row">Total</th><td>1,234</td><td>1,200</td><td>30</td><td>4</td></tr></tfoot>"#));
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
