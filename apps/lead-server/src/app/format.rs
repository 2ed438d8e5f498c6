//! How the inbox shows times, durations, numbers and the quoted evidence inside a message.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lead_domain::language::Language;

/// Digits in the user's locale: Arabic-Indic for Arabic.
pub fn digits(language: Language, text: &str) -> String {
    match language {
        Language::En => text.to_owned(),
        Language::Ar => text
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
                None => c,
            })
            .collect(),
    }
}

/// A time in the tenant's time zone: `2026-12-05 14:03`. In Arabic it is isolated left to right
/// and keeps Western digits, as dates are commonly written in Gulf interfaces; Arabic-Indic
/// digits joined by dashes would be reordered by the bidirectional algorithm.
pub fn time(language: Language, tz: Tz, at: DateTime<Utc>) -> String {
    let text = at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    match language {
        Language::En => text,
        Language::Ar => format!("\u{2066}{text}\u{2069}"),
    }
}

/// A number with thousands separators in the user's locale (`1,250,000` or `١٬٢٥٠٬٠٠٠`).
pub fn number(language: Language, n: f64) -> String {
    let rounded = n.round();
    let negative = rounded < 0.0;
    // Amounts shown here are far below 2^53, where f64 holds integers exactly.
    let whole = format!("{:.0}", rounded.abs());
    let sep = match language {
        Language::En => ',',
        Language::Ar => '\u{066C}',
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    if negative {
        out.insert(0, '-');
    }
    digits(language, &out)
}

/// How long since `since`: `3d 4h`, `2h 5m`, `7m`, in the user's language.
pub fn waited(language: Language, since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let t = super::i18n::Tr::new(language);
    let minutes = (now - since).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let text = if d > 0 {
        format!("{d}{} {h}{}", t.get("days_short"), t.get("hours_short"))
    } else if h > 0 {
        format!("{h}{} {m}{}", t.get("hours_short"), t.get("minutes_short"))
    } else {
        format!("{m}{}", t.get("minutes_short"))
    };
    digits(language, &text)
}

/// A piece of a message's text: plain, or a quote that a qualification field was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// The field it supports, when it is a quote.
    pub field: Option<String>,
}

/// Splits a message into segments, marking each quoted range `(start, end, field)`; ranges that
/// are not on character boundaries or overlap an earlier one are ignored.
pub fn highlight(body: &str, mut quotes: Vec<(usize, usize, String)>) -> Vec<Segment> {
    quotes.sort_by_key(|(s, _, _)| *s);
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, field) in quotes {
        if start < at
            || end <= start
            || end > body.len()
            || !body.is_char_boundary(start)
            || !body.is_char_boundary(end)
        {
            continue;
        }
        if start > at {
            out.push(Segment {
                text: body[at..start].to_owned(),
                field: None,
            });
        }
        out.push(Segment {
            text: body[start..end].to_owned(),
            field: Some(field),
        });
        at = end;
    }
    if at < body.len() || out.is_empty() {
        out.push(Segment {
            text: body[at..].to_owned(),
            field: None,
        });
    }
    out
}

/// Where a quote sits in a message: its recorded span when it matches, else its first occurrence.
pub fn locate(body: &str, span: Option<(usize, usize)>, quote: &str) -> Option<(usize, usize)> {
    if let Some((s, e)) = span
        && body.get(s..e).is_some_and(|t| t == quote)
    {
        return Some((s, e));
    }
    if quote.trim().is_empty() {
        return None;
    }
    body.find(quote).map(|s| (s, s + quote.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quotes_are_cut_out_of_the_message() {
        let body = "I want a villa in Riyadh";
        let q = locate(body, None, "Riyadh").map(|(s, e)| (s, e, "location".to_owned()));
        let segs = highlight(body, q.into_iter().collect());
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1].text, "Riyadh");
        assert_eq!(segs[1].field.as_deref(), Some("location"));
        // A span that is not on a character boundary is ignored, not a panic.
        let ar = "أريد شقة";
        assert_eq!(highlight(ar, vec![(1, 3, "x".into())]).len(), 1);
    }

    #[test]
    fn numbers_and_times_follow_the_locale() {
        assert_eq!(number(Language::En, 1_250_000.0), "1,250,000");
        assert_eq!(number(Language::Ar, 1_250.0), "١٬٢٥٠");
        let at = Utc
            .with_ymd_and_hms(2026, 12, 5, 10, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            time(Language::En, chrono_tz::Asia::Riyadh, at),
            "2026-12-05 13:00"
        );
        assert_eq!(
            waited(Language::En, at, at + chrono::Duration::minutes(125)),
            "2h 5m"
        );
    }
}
