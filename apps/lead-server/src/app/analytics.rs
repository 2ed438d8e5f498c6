//! `/app/analytics` and `/app/experiments`: the report and the A/B tests as tables with charts
//! drawn on the server as SVG (mirrored for Arabic, right to left), and every table as CSV.

use crate::app::auth::{PageError, Viewer};
use crate::app::format;
use crate::app::pages::{Chrome, html};
use crate::routes::analytics::{AnalyticsParams, ExperimentView, report};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use lead_domain::analytics::{AnalyticsReport, Percentiles};
use lead_domain::language::Language;
use lead_domain::usecases::experiments as usecases;
use std::fmt::Write as _;

/// The strings of these two pages, `(key, English, Arabic)`.
const TEXTS: &[(&str, &str, &str)] = &[
    ("analytics", "Analytics", "التحليلات"),
    ("experiments", "Experiments", "التجارب"),
    ("range", "Range", "الفترة"),
    ("group_by", "Group by", "التجميع حسب"),
    ("day", "Day", "اليوم"),
    ("week", "Week", "الأسبوع"),
    ("channel", "Channel", "القناة"),
    ("source", "Source", "المصدر"),
    ("show", "Show", "عرض"),
    ("leads", "Leads", "العملاء المحتملون"),
    ("speed", "Speed to first response", "سرعة الرد الأول"),
    (
        "speed_note",
        "From the first inbound message to the first reply sent or delivered.",
        "من أول رسالة واردة إلى أول رد أُرسل أو سُلِّم.",
    ),
    (
        "speed_hours",
        "Inside and outside business hours",
        "داخل أوقات الدوام وخارجها",
    ),
    ("answered", "Answered", "تم الرد"),
    ("unanswered", "Unanswered", "بلا رد"),
    ("p50", "Median", "الوسيط"),
    ("p90", "90th pct.", "المئين ٩٠"),
    ("p99", "99th pct.", "المئين ٩٩"),
    ("max", "Slowest", "الأبطأ"),
    (
        "funnel",
        "Funnel: leads by state reached",
        "المسار: العملاء حسب الحالة التي بلغوها",
    ),
    ("count", "Count", "العدد"),
    ("of", "Of", "من أصل"),
    ("rate", "Rate", "النسبة"),
    ("groups", "By group", "حسب المجموعة"),
    ("group", "Group", "المجموعة"),
    ("qualified", "Qualified", "مؤهل"),
    ("booked", "Booked", "تم الحجز"),
    ("handed_off", "Handed off", "مُحال إلى موظف"),
    ("scores", "Scores over time", "التقييمات عبر الزمن"),
    ("period", "Period", "الفترة"),
    (
        "escalations",
        "Escalations by reason",
        "التصعيدات حسب السبب",
    ),
    ("reason", "Reason", "السبب"),
    (
        "failures",
        "Replies that failed to deliver",
        "ردود تعذّر تسليمها",
    ),
    ("error", "Error", "الخطأ"),
    ("cost", "Model calls and cost", "طلبات النموذج وتكلفتها"),
    ("calls", "Calls", "الطلبات"),
    ("tokens_in", "Input tokens", "رموز الإدخال"),
    ("tokens_out", "Output tokens", "رموز الإخراج"),
    ("cost_usd", "Cost (USD)", "التكلفة (دولار)"),
    ("per_lead", "Per lead", "لكل عميل"),
    ("per_qualified", "Per qualified lead", "لكل عميل مؤهل"),
    ("per_booking", "Per booking", "لكل حجز"),
    ("csv", "CSV", "CSV"),
    ("none", "Nothing in this range.", "لا شيء في هذه الفترة."),
    ("all", "All", "الكل"),
    ("open", "Inside business hours", "داخل أوقات الدوام"),
    ("closed", "Outside business hours", "خارج أوقات الدوام"),
    ("not_interested", "Not interested", "غير مهتم"),
    ("web_form", "Web form", "نموذج الموقع"),
    ("sms", "SMS", "رسالة نصية"),
    ("whatsapp", "WhatsApp", "واتساب"),
    ("live_chat", "Live chat", "الدردشة المباشرة"),
    ("missed_call", "Missed call", "مكالمة فائتة"),
    ("email", "Email", "البريد الإلكتروني"),
    ("hot", "Hot", "ساخن"),
    ("warm", "Warm", "دافئ"),
    ("cold", "Cold", "بارد"),
    ("unscored", "Unscored", "غير مقيّم"),
    ("seconds", "s", "ث"),
    ("no_experiments", "No experiments yet.", "لا توجد تجارب بعد."),
    ("new_experiment", "New experiment", "تجربة جديدة"),
    ("name", "Name", "الاسم"),
    ("greeting", "First greeting", "التحية الأولى"),
    ("prompt", "System prompt", "تعليمات النموذج"),
    ("question", "Qualifying question", "سؤال التأهيل"),
    ("field", "Field (for a question)", "الحقل (لسؤال التأهيل)"),
    ("replied", "Replied", "ردّ"),
    ("traffic_pct", "Traffic (%)", "نسبة الحركة (٪)"),
    ("key", "Key", "المفتاح"),
    ("text_en", "English text", "النص بالإنجليزية"),
    ("text_ar", "Arabic text", "النص بالعربية"),
    (
        "variants_note",
        "The first variant is the control. Leave a row blank to skip it.",
        "النسخة الأولى هي الأصل. اترك الصف فارغاً لتجاوزه.",
    ),
    ("create", "Create experiment", "إنشاء التجربة"),
    ("stop", "Stop experiment", "إيقاف التجربة"),
    (
        "by_verdict",
        "As the verdict says (or the control)",
        "حسب النتيجة (أو الأصل)",
    ),
    ("target", "Target", "الهدف"),
    ("metric", "Metric", "المقياس"),
    ("traffic", "Traffic", "نسبة الحركة"),
    ("status", "Status", "الحالة"),
    ("running", "Running", "قيد التشغيل"),
    ("stopped", "Stopped", "متوقفة"),
    ("variant", "Variant", "النسخة"),
    ("text", "Text", "النص"),
    ("exposures", "Exposures", "مرات العرض"),
    ("conversions", "Conversions", "التحويلات"),
    ("interval", "95% interval", "فترة ثقة ٩٥٪"),
    ("p_value", "p (vs control)", "قيمة p (مقابل الأصل)"),
    ("verdict", "Verdict", "النتيجة"),
    ("winner", "New leads get", "يحصل العملاء الجدد على"),
    (
        "method",
        "Two-proportion z-test of each variant against the first (control), read only once every variant reaches the fixed horizon from a power analysis (5% level split by Bonferroni, 80% power for a 10-point difference), so looking early cannot produce a false winner.",
        "اختبار z لنسبتين لكل نسخة مقابل الأولى (الأصل)، ولا تُقرأ النتيجة إلا بعد أن تبلغ كل نسخة حجم العينة الثابت المحسوب مسبقاً (مستوى ٥٪ مقسوم بطريقة بونفيروني، وقوة ٨٠٪ لفرق ١٠ نقاط)، فلا يؤدي الاطلاع المبكر إلى فائز زائف.",
    ),
    (
        "horizon",
        "Leads per variant before the verdict",
        "عدد العملاء لكل نسخة قبل النتيجة",
    ),
];

fn text(lang: Language, key: &str) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("?", |(_, en, ar)| match lang {
            Language::En => en,
            Language::Ar => ar,
        })
}

/// One table of the report: raw cells for CSV, localised cells for the page.
pub struct Table {
    /// Slug for its CSV link and element id.
    pub id: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Column headings.
    pub headers: Vec<&'static str>,
    /// Rows as shown.
    pub rows: Vec<Vec<String>>,
    /// Rows as exported.
    pub raw: Vec<Vec<String>>,
    /// Column names of the CSV (stable, English).
    pub csv_headers: Vec<&'static str>,
    /// An SVG chart drawn from the table, if any.
    pub chart: Option<String>,
}

/// `/app/analytics`.
#[derive(Template)]
#[template(path = "app/analytics.html")]
pub struct AnalyticsPage {
    /// Around the content.
    pub chrome: Chrome,
    /// The page's language.
    pub lang: Language,
    /// First day shown.
    pub from: String,
    /// Last day shown.
    pub to: String,
    /// The grouping.
    pub group_by: String,
    /// Leads in the range.
    pub leads: String,
    /// The query string of the CSV links.
    pub query: String,
    /// The tables.
    pub tables: Vec<Table>,
}

impl AnalyticsPage {
    /// A string of this page.
    pub fn s(&self, key: &str) -> &'static str {
        text(self.lang, key)
    }
}

fn seconds(p: Option<i64>) -> String {
    p.map(|s| s.to_string()).unwrap_or_default()
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_default()
}

fn money(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn speed_cells(p: &Percentiles, unanswered: u64) -> Vec<String> {
    vec![
        p.count.to_string(),
        unanswered.to_string(),
        seconds(p.p50),
        seconds(p.p90),
        seconds(p.p99),
        seconds(p.max),
    ]
}

/// A label of the report's keys (channels, slices, states) in the page's language.
fn label(lang: Language, key: &str) -> String {
    if let Some(state) = lead_domain::lifecycle::LeadState::parse(key) {
        return crate::app::pages::state_label(crate::app::i18n::Tr::new(lang), state);
    }
    match text(lang, key) {
        "?" => key.to_owned(),
        found => found.to_owned(),
    }
}

const SPEED_HEADERS: [&str; 6] = ["answered", "unanswered", "p50", "p90", "p99", "max"];

/// Every table of a report, in the order the page shows them.
pub fn tables(r: &AnalyticsReport, lang: Language) -> Vec<Table> {
    let mut out = Vec::new();
    let localise = |rows: &[Vec<String>], keep: usize| -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if i < keep {
                            label(lang, c)
                        } else {
                            format::digits(lang, c)
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let speed_raw: Vec<Vec<String>> = r
        .speed_by_channel
        .iter()
        .map(|s| {
            let mut row = vec![s.key.clone()];
            row.extend(speed_cells(&s.answered, s.unanswered));
            row
        })
        .collect();
    let bars: Vec<(String, f64, String)> = r
        .speed_by_channel
        .iter()
        .filter_map(|s| {
            let p50 = s.answered.p50?;
            Some((
                label(lang, &s.key),
                p50 as f64,
                format::digits(lang, &format!("{p50}{}", text(lang, "seconds"))),
            ))
        })
        .collect();
    out.push(Table {
        id: "speed",
        title: "speed",
        headers: [&["channel"][..], &SPEED_HEADERS[..]].concat(),
        rows: localise(&speed_raw, 1),
        csv_headers: vec![
            "channel",
            "answered",
            "unanswered",
            "p50_seconds",
            "p90_seconds",
            "p99_seconds",
            "max_seconds",
        ],
        raw: speed_raw,
        chart: (!bars.is_empty()).then(|| bar_chart(&bars, lang == Language::Ar)),
    });
    let hours_raw: Vec<Vec<String>> = r
        .speed_by_hours
        .iter()
        .map(|s| {
            let mut row = vec![s.key.clone()];
            row.extend(speed_cells(&s.answered, s.unanswered));
            row
        })
        .collect();
    out.push(Table {
        id: "speed_hours",
        title: "speed_hours",
        headers: [&["range"][..], &SPEED_HEADERS[..]].concat(),
        rows: localise(&hours_raw, 1),
        csv_headers: vec![
            "slice",
            "answered",
            "unanswered",
            "p50_seconds",
            "p90_seconds",
            "p99_seconds",
            "max_seconds",
        ],
        raw: hours_raw,
        chart: None,
    });
    let funnel_raw: Vec<Vec<String>> = r
        .funnel
        .iter()
        .map(|f| {
            vec![
                f.key.clone(),
                f.count.to_string(),
                f.of.to_string(),
                rate(f.rate),
            ]
        })
        .collect();
    let funnel_bars: Vec<(String, f64, String)> = r
        .funnel
        .iter()
        .map(|f| {
            (
                label(lang, &f.key),
                f.count as f64,
                format::digits(lang, &format!("{} ({})", f.count, rate(f.rate))),
            )
        })
        .collect();
    out.push(Table {
        id: "funnel",
        title: "funnel",
        headers: vec!["status", "count", "of", "rate"],
        rows: localise(&funnel_raw, 1),
        csv_headers: vec!["state", "count", "of", "rate"],
        raw: funnel_raw,
        chart: Some(bar_chart(&funnel_bars, lang == Language::Ar)),
    });
    let groups_raw: Vec<Vec<String>> = r
        .groups
        .iter()
        .map(|g| {
            vec![
                g.key.clone(),
                g.leads.to_string(),
                g.qualified.to_string(),
                g.booked.to_string(),
                g.handed_off.to_string(),
                g.response.count.to_string(),
                seconds(g.response.p50),
                seconds(g.response.p90),
            ]
        })
        .collect();
    out.push(Table {
        id: "groups",
        title: "groups",
        headers: vec![
            "group",
            "leads",
            "qualified",
            "booked",
            "handed_off",
            "answered",
            "p50",
            "p90",
        ],
        rows: localise(&groups_raw, 1),
        csv_headers: vec![
            r.group_by.as_str(),
            "leads",
            "qualified",
            "booked",
            "handed_off",
            "answered",
            "p50_seconds",
            "p90_seconds",
        ],
        raw: groups_raw,
        chart: None,
    });
    let scores_raw: Vec<Vec<String>> = r
        .scores
        .iter()
        .map(|s| {
            vec![
                s.period.clone(),
                s.hot.to_string(),
                s.warm.to_string(),
                s.cold.to_string(),
                s.unscored.to_string(),
            ]
        })
        .collect();
    let stacks: Vec<[u64; 4]> = r
        .scores
        .iter()
        .map(|s| [s.hot, s.warm, s.cold, s.unscored])
        .collect();
    out.push(Table {
        id: "scores",
        title: "scores",
        headers: vec!["period", "hot", "warm", "cold", "unscored"],
        rows: scores_raw
            .iter()
            .map(|row| row.iter().map(|c| format::digits(lang, c)).collect())
            .collect(),
        csv_headers: vec!["period", "hot", "warm", "cold", "unscored"],
        raw: scores_raw,
        chart: (!stacks.is_empty()).then(|| {
            stacked_chart(
                &stacks,
                [
                    text(lang, "hot"),
                    text(lang, "warm"),
                    text(lang, "cold"),
                    text(lang, "unscored"),
                ],
                lang == Language::Ar,
            )
        }),
    });
    let esc_raw: Vec<Vec<String>> = r
        .escalations
        .iter()
        .map(|e| vec![e.key.clone(), e.count.to_string()])
        .collect();
    out.push(Table {
        id: "escalations",
        title: "escalations",
        headers: vec!["reason", "count"],
        rows: esc_raw
            .iter()
            .map(|row| vec![row[0].replace('_', " "), format::digits(lang, &row[1])])
            .collect(),
        csv_headers: vec!["reason", "count"],
        raw: esc_raw,
        chart: None,
    });
    let fail_raw: Vec<Vec<String>> = r
        .failures
        .iter()
        .map(|f| vec![f.key.clone(), f.detail.clone(), f.count.to_string()])
        .collect();
    out.push(Table {
        id: "failures",
        title: "failures",
        headers: vec!["channel", "error", "count"],
        rows: fail_raw
            .iter()
            .map(|row| {
                vec![
                    label(lang, &row[0]),
                    row[1].clone(),
                    format::digits(lang, &row[2]),
                ]
            })
            .collect(),
        csv_headers: vec!["channel", "error", "count"],
        raw: fail_raw,
        chart: None,
    });
    let c = &r.cost;
    let cost_raw = vec![vec![
        c.usage.calls.to_string(),
        c.usage.tokens_in.to_string(),
        c.usage.tokens_out.to_string(),
        format!("{:.4}", c.usage.cost_usd),
        c.leads.to_string(),
        money(c.per_lead),
        c.qualified.to_string(),
        money(c.per_qualified),
        c.booked.to_string(),
        money(c.per_booking),
    ]];
    out.push(Table {
        id: "cost",
        title: "cost",
        headers: vec![
            "calls",
            "tokens_in",
            "tokens_out",
            "cost_usd",
            "leads",
            "per_lead",
            "qualified",
            "per_qualified",
            "booked",
            "per_booking",
        ],
        rows: cost_raw
            .iter()
            .map(|row| row.iter().map(|c| format::digits(lang, c)).collect())
            .collect(),
        csv_headers: vec![
            "calls",
            "tokens_in",
            "tokens_out",
            "cost_usd",
            "leads",
            "cost_per_lead",
            "qualified",
            "cost_per_qualified",
            "booked",
            "cost_per_booking",
        ],
        raw: cost_raw,
        chart: None,
    });
    out
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 640.0;
const LABEL: f64 = 170.0;
const VALUE: f64 = 110.0;

/// Horizontal bars `(label, value, value as shown)`; in Arabic the labels sit on the right and
/// the bars grow to the left.
pub fn bar_chart(rows: &[(String, f64, String)], rtl: bool) -> String {
    let row_h = 26.0;
    let height = row_h * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1.0);
    let span = WIDTH - LABEL - VALUE;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">"
    );
    for (i, (name, value, shown)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let w = (value / max * span).max(if *value > 0.0 { 1.0 } else { 0.0 });
        let (label_x, anchor, bar_x, value_x, value_anchor) = if rtl {
            (
                WIDTH - 4.0,
                "end",
                WIDTH - LABEL - w,
                WIDTH - LABEL - w - 6.0,
                "end",
            )
        } else {
            (4.0, "start", LABEL, LABEL + w + 6.0, "start")
        };
        let _ = write!(
            svg,
            "<text x=\"{label_x}\" y=\"{ty}\" text-anchor=\"{anchor}\" font-size=\"13\">{}</text>\
             <rect x=\"{bar_x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bh}\" class=\"bar\"><title>{}</title></rect>\
             <text x=\"{value_x:.1}\" y=\"{ty}\" text-anchor=\"{value_anchor}\" font-size=\"12\">{}</text>",
            esc(name),
            esc(shown),
            esc(shown),
            ty = y + 15.0,
            bh = row_h - 8.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Stacked columns of hot, warm, cold and unscored leads per period, oldest first (from the
/// right in Arabic), with a legend.
pub fn stacked_chart(columns: &[[u64; 4]], legend: [&str; 4], rtl: bool) -> String {
    let height = 180.0;
    let top = 24.0;
    let plot = height - top - 4.0;
    let max = columns
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let step = WIDTH / columns.len().max(1) as f64;
    let bar = (step * 0.8).max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">"
    );
    for (i, name) in legend.iter().enumerate() {
        let x = if rtl {
            WIDTH - 4.0 - 110.0 * i as f64
        } else {
            4.0 + 110.0 * i as f64
        };
        let (sx, tx, anchor) = if rtl {
            (x - 10.0, x - 14.0, "end")
        } else {
            (x, x + 14.0, "start")
        };
        let _ = write!(
            svg,
            "<rect x=\"{sx}\" y=\"6\" width=\"10\" height=\"10\" class=\"s{i}\"/><text x=\"{tx}\" y=\"15\" text-anchor=\"{anchor}\" font-size=\"12\">{}</text>",
            esc(name)
        );
    }
    for (i, column) in columns.iter().enumerate() {
        let slot = if rtl { columns.len() - 1 - i } else { i };
        let x = step * slot as f64 + (step - bar) / 2.0;
        let mut y = height - 4.0;
        for (k, n) in column.iter().enumerate() {
            let h = *n as f64 / max * plot;
            if h <= 0.0 {
                continue;
            }
            y -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" class=\"s{k}\"><title>{n}</title></rect>"
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// `GET /app/analytics`: the report for a range, grouped as asked.
///
/// # Errors
/// Malformed dates (shown as an error page), storage failures.
pub async fn analytics(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AnalyticsParams>,
) -> Result<HttpResponse, PageError> {
    let lang = viewer.tr().language;
    let r = report(&state, &viewer.tenant, &query)
        .await
        .map_err(|e| PageError::Invalid(e.to_string()))?;
    let page = AnalyticsPage {
        lang,
        from: r.from.to_string(),
        to: r.to.to_string(),
        group_by: r.group_by.as_str().to_owned(),
        leads: format::number(lang, r.leads as f64),
        query: format!(
            "from={}&to={}&group_by={}",
            r.from,
            r.to,
            r.group_by.as_str()
        ),
        tables: tables(&r, lang),
        chrome: Chrome::of(&viewer, "analytics", &req),
    };
    html(&page)
}

/// The CSV of rows with a header line, cells quoted and formulas neutralised.
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = headers.join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| crate::app::pages::csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `GET /app/analytics/{table}.csv`: one table of the report as CSV.
///
/// # Errors
/// An unknown table, malformed dates, storage failures.
pub async fn analytics_csv(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<AnalyticsParams>,
) -> Result<HttpResponse, PageError> {
    let name = path.into_inner();
    let slug = name.strip_suffix(".csv").ok_or(PageError::NotFound)?;
    let r = report(&state, &viewer.tenant, &query)
        .await
        .map_err(|e| PageError::Invalid(e.to_string()))?;
    let table = tables(&r, Language::En)
        .into_iter()
        .find(|t| t.id == slug)
        .ok_or(PageError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{slug}-{}-{}.csv\"", r.from, r.to),
        ))
        .body(csv(&table.csv_headers, &table.raw)))
}

/// `/app/experiments`.
#[derive(Template)]
#[template(path = "app/experiments.html")]
pub struct ExperimentsPage {
    /// Around the content.
    pub chrome: Chrome,
    /// The page's language.
    pub lang: Language,
    /// Every experiment, newest first.
    pub experiments: Vec<ExperimentCard>,
    /// The variant rows of the new-experiment form, numbered from 1.
    pub variant_slots: Vec<usize>,
}

impl ExperimentsPage {
    /// A string of this page.
    pub fn s(&self, key: &str) -> &'static str {
        text(self.lang, key)
    }
}

/// One experiment as the page shows it.
pub struct ExperimentCard {
    /// The experiment.
    pub view: ExperimentView,
    /// Status, readable.
    pub status: &'static str,
    /// Traffic as a percentage.
    pub traffic: String,
    /// Rows: key, text, exposures, conversions, rate, interval, p.
    pub rows: Vec<Vec<String>>,
    /// Rates with their intervals.
    pub chart: String,
    /// Still running: the owner may stop it.
    pub running: bool,
}

/// Rates with their 95% intervals as dots and whiskers on a 0–100% axis.
pub fn interval_chart(rows: &[(String, Option<f64>, f64, f64)], rtl: bool) -> String {
    let row_h = 28.0;
    let height = row_h * rows.len() as f64 + 20.0;
    let span = WIDTH - 80.0 - 20.0;
    let x_of = |v: f64| {
        let x = 80.0 + v.clamp(0.0, 1.0) * span;
        if rtl { WIDTH - x } else { x }
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">"
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = x_of(tick);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{h}\" class=\"grid\"/><text x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"11\">{}%</text>",
            (tick * 100.0) as u32,
            h = height - 16.0,
            ty = height - 4.0,
        );
    }
    for (i, (key, rate, low, high)) in rows.iter().enumerate() {
        let y = 14.0 + row_h * i as f64;
        let (lx, anchor) = if rtl {
            (WIDTH - 4.0, "end")
        } else {
            (4.0, "start")
        };
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"{anchor}\" font-size=\"13\">{}</text><line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" class=\"whisker\"/>",
            esc(&key.to_uppercase()),
            x_of(*low),
            x_of(*high),
            ty = y + 4.0,
        );
        if let Some(r) = rate {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"5\" class=\"dot\"/>",
                x_of(*r)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// `GET /app/experiments`: every experiment with its results and verdict.
///
/// # Errors
/// Storage failures.
pub async fn experiments(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let lang = viewer.tr().language;
    let all = usecases::list_results(&state.deps, viewer.tenant.id)
        .await
        .map_err(|e| PageError::Internal(anyhow::Error::new(e)))?;
    let experiments = all
        .iter()
        .map(|(e, r)| {
            let view = ExperimentView::of(e, r);
            let rows = view
                .variants
                .iter()
                .map(|v| {
                    vec![
                        v.key.to_uppercase(),
                        match lang {
                            Language::En => v.text_en.clone(),
                            Language::Ar => v.text_ar.clone(),
                        },
                        format::digits(lang, &v.exposures.to_string()),
                        format::digits(lang, &v.conversions.to_string()),
                        format::digits(lang, &rate(v.rate)),
                        format::digits(
                            lang,
                            &format!("{:.1}–{:.1}%", v.rate_low * 100.0, v.rate_high * 100.0),
                        ),
                        v.p_value
                            .map(|p| format::digits(lang, &format!("{p:.3}")))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            let points: Vec<(String, Option<f64>, f64, f64)> = view
                .variants
                .iter()
                .map(|v| (v.key.clone(), v.rate, v.rate_low, v.rate_high))
                .collect();
            ExperimentCard {
                status: text(lang, &view.status),
                traffic: format::digits(lang, &format!("{:.0}%", view.traffic * 100.0)),
                rows,
                chart: interval_chart(&points, lang == Language::Ar),
                running: e.status == lead_domain::experiments::Status::Running,
                view,
            }
        })
        .collect();
    html(&ExperimentsPage {
        lang,
        experiments,
        variant_slots: (1..=crate::app::experiments::FORM_VARIANTS).collect(),
        chrome: Chrome::of(&viewer, "experiments", &req),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_mirror_in_arabic() {
        let rows = vec![("sms".to_owned(), 10.0, "10s".to_owned())];
        let ltr = bar_chart(&rows, false);
        let rtl = bar_chart(&rows, true);
        assert!(ltr.contains("text-anchor=\"start\""));
        assert!(rtl.contains(&format!("x=\"{}\"", WIDTH - 4.0)));
        assert!(rtl.contains("text-anchor=\"end\""));
    }

    #[test]
    fn chart_text_is_escaped() {
        let rows = vec![("<b>&".to_owned(), 1.0, "1".to_owned())];
        assert!(bar_chart(&rows, false).contains("&lt;b&gt;&amp;"));
    }

    #[test]
    fn csv_has_a_header_and_neutralised_cells() {
        let out = csv(&["a", "b"], &[vec!["=1+1".to_owned(), "x,y".to_owned()]]);
        assert_eq!(out, "a,b\r\n'=1+1,\"x,y\"\r\n");
    }
}
