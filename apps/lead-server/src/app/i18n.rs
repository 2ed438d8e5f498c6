//! The inbox's interface strings in English and Arabic, chosen per user.

use actix_web::HttpRequest;
use actix_web::http::header;
use lead_domain::language::Language;

/// `(key, English, Arabic)` for every string of the interface.
const TEXTS: &[(&str, &str, &str)] = &[
    ("app_name", "Sales inbox", "صندوق المبيعات"),
    ("sign_in", "Sign in", "تسجيل الدخول"),
    ("sign_out", "Sign out", "تسجيل الخروج"),
    ("email", "Email", "البريد الإلكتروني"),
    ("password", "Password", "كلمة المرور"),
    (
        "wrong_credentials",
        "Wrong email or password.",
        "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
    ),
    (
        "throttled",
        "Too many failed sign-ins. Wait before trying again",
        "محاولات دخول فاشلة كثيرة. انتظر قبل المحاولة مجدداً",
    ),
    ("inbox", "Inbox", "الوارد"),
    ("leads", "Leads", "العملاء المحتملون"),
    ("settings", "Settings", "الإعدادات"),
    ("usage", "Usage", "الاستهلاك"),
    ("analytics", "Analytics", "التحليلات"),
    ("experiments", "Experiments", "التجارب"),
    ("language", "Language", "اللغة"),
    ("switch_language", "العربية", "English"),
    ("waiting", "Waiting for a person", "بانتظار موظف"),
    ("waited", "Waiting", "مدة الانتظار"),
    ("attention", "Needs attention", "يحتاج إلى متابعة"),
    ("today", "Today", "اليوم"),
    ("by_state", "By state", "حسب الحالة"),
    ("by_score", "By score", "حسب التقييم"),
    (
        "nothing_waiting",
        "Nobody is waiting. New hot leads and escalations appear here.",
        "لا أحد بالانتظار. يظهر هنا العملاء الساخنون والتصعيدات الجديدة.",
    ),
    (
        "nothing_attention",
        "Nothing needs attention.",
        "لا شيء يحتاج إلى متابعة.",
    ),
    ("escalated", "Escalated", "مُصعَّد"),
    ("hot", "Hot", "ساخن"),
    ("name", "Name", "الاسم"),
    ("phone", "Phone", "الهاتف"),
    ("state", "State", "الحالة"),
    ("score", "Score", "التقييم"),
    ("channel", "Channel", "القناة"),
    ("source", "Source", "المصدر"),
    ("created", "Created", "تاريخ الإنشاء"),
    ("from", "From", "من"),
    ("to", "To", "إلى"),
    ("search", "Search", "بحث"),
    (
        "search_hint",
        "Name, phone or email",
        "الاسم أو الهاتف أو البريد",
    ),
    ("any", "Any", "الكل"),
    ("filter", "Filter", "تصفية"),
    ("export_csv", "Export CSV", "تصدير CSV"),
    ("previous", "Previous", "السابق"),
    ("next", "Next", "التالي"),
    ("results", "results", "نتيجة"),
    ("page", "Page", "صفحة"),
    ("no_leads", "No leads match.", "لا يوجد عملاء مطابقون."),
    ("conversation", "Conversation", "المحادثة"),
    ("qualification", "Qualification", "التأهيل"),
    ("evidence", "Said", "القول"),
    ("set_by_person", "set by a person", "أدخله موظف"),
    ("score_reasons", "Why this score", "أسباب التقييم"),
    ("score_override", "Set by hand", "حُدِّد يدوياً"),
    ("history", "State history", "سجل الحالات"),
    ("escalations", "Escalations", "التصعيدات"),
    ("released", "released", "أُعيد"),
    ("take_over", "Take over", "استلام المحادثة"),
    ("release", "Release to AI", "إعادة إلى المساعد الآلي"),
    ("reply", "Reply", "رد"),
    ("send", "Send", "إرسال"),
    (
        "reply_hint",
        "Your reply goes out on the lead's channel",
        "يُرسل ردك عبر قناة العميل",
    ),
    (
        "no_reply_address",
        "This conversation has no address to reply to.",
        "لا يوجد عنوان للرد في هذه المحادثة.",
    ),
    ("change_state", "Change state", "تغيير الحالة"),
    (
        "no_transitions",
        "No state change is possible from here.",
        "لا يمكن تغيير الحالة من هنا.",
    ),
    ("reason", "Reason", "السبب"),
    ("override_score", "Override score", "تعديل التقييم"),
    ("edit_field", "Correct a field", "تصحيح حقل"),
    ("field", "Field", "الحقل"),
    ("value", "Value", "القيمة"),
    ("save", "Save", "حفظ"),
    ("contact", "Contact", "بيانات التواصل"),
    ("service", "Service", "الخدمة"),
    ("budget", "Budget", "الميزانية"),
    ("timeline", "Timeline", "الموعد"),
    ("urgency", "Urgency", "الاستعجال"),
    ("decision_maker", "Decision maker", "صاحب القرار"),
    ("location", "Location", "الموقع"),
    ("unknown", "unknown", "غير معروف"),
    ("yes", "yes", "نعم"),
    ("no", "no", "لا"),
    ("lead", "Lead", "العميل"),
    ("ai", "AI", "المساعد الآلي"),
    ("human", "Team", "الفريق"),
    ("system", "System", "النظام"),
    ("delivery", "Delivery", "التسليم"),
    ("open", "open", "مفتوحة"),
    ("closed", "closed", "مغلقة"),
    (
        "ai_paused",
        "AI replies paused: a person has this conversation",
        "الردود الآلية متوقفة: المحادثة مع موظف",
    ),
    (
        "undeliverable",
        "Replies cannot reach this lead",
        "لا يمكن إيصال الردود لهذا العميل",
    ),
    (
        "possible_duplicate",
        "May be the same person as another lead",
        "قد يكون نفس الشخص لعميل آخر",
    ),
    ("users", "Users", "المستخدمون"),
    ("role", "Role", "الدور"),
    ("owner", "Owner", "مالك"),
    ("agent", "Agent", "موظف"),
    ("add_user", "Add user", "إضافة مستخدم"),
    ("remove", "Remove", "حذف"),
    ("business_hours", "Business hours", "ساعات العمل"),
    ("timezone", "Time zone", "المنطقة الزمنية"),
    ("holidays", "Holidays", "العطلات"),
    ("closed_day", "closed", "مغلق"),
    ("rules", "Qualification rules", "قواعد التأهيل"),
    ("min_budget", "Minimum budget", "الحد الأدنى للميزانية"),
    ("high_value", "High-value threshold", "حد القيمة العالية"),
    ("hot_threshold", "Hot from points", "ساخن ابتداءً من نقاط"),
    ("warm_threshold", "Warm from points", "دافئ ابتداءً من نقاط"),
    (
        "escalation_triggers",
        "Escalation triggers and keywords",
        "محفزات التصعيد والكلمات المفتاحية",
    ),
    ("services", "Services", "الخدمات"),
    ("channels", "Channels", "القنوات"),
    ("twilio_numbers", "Twilio numbers", "أرقام Twilio"),
    (
        "widget_origins",
        "Chat widget origins",
        "مواقع نافذة الدردشة",
    ),
    (
        "widget_snippet",
        "Paste this on your site",
        "ألصق هذا في موقعك",
    ),
    (
        "notifications",
        "Notification contacts and webhooks",
        "جهات الإشعار والـ webhooks",
    ),
    ("not_configured", "not configured", "غير مُعد"),
    ("month_to_date", "Month to date", "منذ بداية الشهر"),
    ("model", "Model", "النموذج"),
    ("calls", "Calls", "الطلبات"),
    ("tokens_in", "Tokens in", "رموز الإدخال"),
    ("tokens_out", "Tokens out", "رموز الإخراج"),
    ("cost", "Cost (USD)", "التكلفة (دولار)"),
    ("budget_left", "Budget left", "المتبقي من الميزانية"),
    ("no_budget", "no monthly budget set", "لا توجد ميزانية شهرية"),
    ("live_update", "New activity", "نشاط جديد"),
    ("skip_to_content", "Skip to content", "انتقل إلى المحتوى"),
    ("minutes_short", "m", "د"),
    ("hours_short", "h", "س"),
    ("days_short", "d", "ي"),
    ("note", "Note", "ملاحظة"),
    ("actions", "Actions", "الإجراءات"),
    ("total", "Total", "المجموع"),
    ("currency", "Currency", "العملة"),
    ("score_HOT", "Hot", "ساخن"),
    ("score_WARM", "Warm", "دافئ"),
    ("score_COLD", "Cold", "بارد"),
    ("score_UNSCORED", "Unscored", "غير مقيّم"),
    ("state_NEW", "New", "جديد"),
    ("state_QUALIFYING", "Qualifying", "قيد التأهيل"),
    ("state_QUALIFIED", "Qualified", "مؤهل"),
    (
        "state_APPOINTMENT_BOOKED",
        "Appointment booked",
        "موعد محجوز",
    ),
    ("state_HANDED_OFF", "Handed off", "مُحال إلى موظف"),
    ("state_NURTURING", "Nurturing", "متابعة لاحقة"),
    ("state_DISQUALIFIED", "Disqualified", "غير مؤهل"),
    (
        "on_human_request",
        "When the lead asks for a person",
        "عندما يطلب العميل موظفاً",
    ),
    (
        "on_high_value",
        "High-value leads",
        "العملاء ذوو القيمة العالية",
    ),
    (
        "max_exchanges",
        "After this many exchanges",
        "بعد هذا العدد من الردود",
    ),
    ("min_confidence", "Below this confidence", "دون هذه الثقة"),
    ("keywords", "Keywords", "الكلمات المفتاحية"),
    ("saved", "Saved.", "تم الحفظ."),
    ("sms", "SMS", "رسالة نصية"),
    ("whatsapp", "WhatsApp", "واتساب"),
    ("saturday", "Saturday", "السبت"),
    ("sunday", "Sunday", "الأحد"),
    ("monday", "Monday", "الاثنين"),
    ("tuesday", "Tuesday", "الثلاثاء"),
    ("wednesday", "Wednesday", "الأربعاء"),
    ("thursday", "Thursday", "الخميس"),
    ("friday", "Friday", "الجمعة"),
    (
        "hours_hint",
        "Each day's shifts, empty when closed, for example:",
        "فترات كل يوم، وتُترك فارغة في أيام الإغلاق، مثال:",
    ),
    (
        "holidays_hint",
        "Holidays (YYYY-MM-DD, one per line)",
        "العطل (YYYY-MM-DD، واحدة في كل سطر)",
    ),
    ("on_hot", "Hot leads", "العملاء الساخنون"),
    (
        "on_hot_notify",
        "Notify the team, AI keeps talking",
        "إشعار الفريق مع استمرار المساعد",
    ),
    ("on_hot_handoff", "Hand off to a person", "الإحالة إلى موظف"),
    (
        "services_hint",
        "One per line: key: description",
        "واحدة في كل سطر: المفتاح: الوصف",
    ),
    ("one_per_line", "One per line", "واحد في كل سطر"),
    (
        "phone_reply_channel",
        "Reply to phone leads by",
        "الرد على عملاء الهاتف عبر",
    ),
    (
        "set_through_api",
        "Set through the API (PATCH /api/v1/clients/{id}, twilio).",
        "يُضبط عبر واجهة البرمجة (PATCH /api/v1/clients/{id}، twilio).",
    ),
    ("notify_email", "Email addresses", "عناوين البريد الإلكتروني"),
    (
        "notify_sms",
        "SMS numbers (E.164)",
        "أرقام الرسائل النصية (E.164)",
    ),
    (
        "notify_whatsapp",
        "WhatsApp numbers (E.164)",
        "أرقام واتساب (E.164)",
    ),
    ("notify_language", "Team language", "لغة الفريق"),
    ("page_events", "Page people for", "إشعار الفريق عند"),
    ("webhooks", "Webhooks", "الـ Webhooks"),
    ("webhook_url", "Endpoint URL", "عنوان نقطة الاستقبال"),
    ("add_webhook", "Add endpoint", "إضافة نقطة استقبال"),
    (
        "webhook_events",
        "Events (none checked: all)",
        "الأحداث (بلا اختيار: الكل)",
    ),
    ("disabled", "disabled (410)", "معطّل (410)"),
    (
        "secret_once",
        "Signing secret, shown only now. Copy it into the receiver:",
        "مفتاح التوقيع، يظهر الآن فقط. انسخه إلى جهة الاستقبال:",
    ),
    ("english", "English", "الإنجليزية"),
    ("arabic", "العربية", "العربية"),
];

/// The interface strings of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    /// The language shown.
    pub language: Language,
}

impl Tr {
    /// Strings in `language`.
    pub const fn new(language: Language) -> Self {
        Self { language }
    }

    /// The string for `key`; the key itself when unknown, so a missing string shows, not breaks.
    pub fn get(&self, key: &str) -> &'static str {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("?", |(_, en, ar)| match self.language {
                Language::En => en,
                Language::Ar => ar,
            })
    }

    /// `ar` or `en`, for the `lang` attribute.
    pub fn lang(&self) -> &'static str {
        self.language.code()
    }

    /// `rtl` for Arabic, `ltr` for English.
    pub fn dir(&self) -> &'static str {
        match self.language {
            Language::Ar => "rtl",
            Language::En => "ltr",
        }
    }

    /// The other language's code, for the switch.
    pub fn other(&self) -> &'static str {
        match self.language {
            Language::Ar => "en",
            Language::En => "ar",
        }
    }
}

/// The language a browser prefers (Arabic when it lists Arabic before English).
pub fn language_from_header(req: &HttpRequest) -> Language {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .find(|p| p.starts_with("ar") || p.starts_with("en"));
    match first {
        Some(p) if p.starts_with("ar") => Language::Ar,
        _ => Language::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_string_has_both_languages_and_keys_are_unique() {
        let mut seen = HashSet::new();
        for (key, en, ar) in TEXTS {
            assert!(seen.insert(*key), "duplicate key {key}");
            assert!(!en.is_empty() && !ar.is_empty(), "{key}");
        }
        assert_eq!(Tr::new(Language::Ar).get("inbox"), "الوارد");
        assert_eq!(Tr::new(Language::En).get("inbox"), "Inbox");
        assert_eq!(Tr::new(Language::Ar).dir(), "rtl");
    }
}
