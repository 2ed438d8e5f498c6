//! Booking a meeting inside the conversation: the tenant's calendar settings, which slots a lead
//! is offered, how a slot is written in the lead's language, how a lead's choice is resolved, and
//! the ports of the calendar, the booking records and the reader of booking requests.
//!
//! Everything here is pure except the port traits; the use case that drives a booking turn lives
//! in `usecases::booking`.

use crate::contact::{Email, PhoneNumber};
use crate::hours::BusinessHours;
use crate::ids::{ConversationId, LeadId, TenantId};
use crate::language::Language;
use crate::scoring::Score;
use crate::tenant::Secret;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The calendar services a tenant can connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BookingProvider {
    /// Cal.com (cloud or self-hosted), API v2.
    #[default]
    Calcom,
}

/// How a tenant's calendar is connected and when the AI offers a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingSettings {
    /// Which calendar service.
    #[serde(default)]
    pub provider: BookingProvider,
    /// The API key the service issued (`cal_live_...`); write-only through the API.
    pub api_key: Secret,
    /// The event type bookings are made for (a viewing, a consultation, a test drive).
    pub event_type_id: u64,
    /// Signs the service's webhooks to us; write-only through the API.
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
    /// Scores at which the AI offers a meeting without being asked.
    #[serde(default = "default_offer_for")]
    pub offer_for: Vec<Score>,
    /// How many days ahead slots are offered.
    #[serde(default = "default_days_ahead")]
    pub days_ahead: u32,
}

fn default_offer_for() -> Vec<Score> {
    vec![Score::Hot, Score::Warm]
}

const fn default_days_ahead() -> u32 {
    7
}

/// Why booking settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingSettingsError {
    /// The key is empty.
    #[error("booking.api_key must not be empty")]
    EmptyKey,
    /// The event type id is zero.
    #[error("booking.event_type_id must be a positive integer")]
    NoEventType,
    /// The window is empty or longer than the calendar serves at once.
    #[error("booking.days_ahead must be between 1 and {max}")]
    DaysAhead {
        /// The largest window accepted.
        max: u32,
    },
    /// A score that can never be offered a meeting.
    #[error("booking.offer_for accepts HOT, WARM and COLD")]
    OfferFor,
}

impl BookingSettings {
    /// The longest window of slots asked for at once.
    pub const MAX_DAYS_AHEAD: u32 = 30;

    /// Checks the settings a tenant sent.
    ///
    /// # Errors
    /// [`BookingSettingsError`] naming the field at fault.
    pub fn validate(&self) -> Result<(), BookingSettingsError> {
        if self.api_key.expose().trim().is_empty() {
            return Err(BookingSettingsError::EmptyKey);
        }
        if self.event_type_id == 0 {
            return Err(BookingSettingsError::NoEventType);
        }
        if self.days_ahead == 0 || self.days_ahead > Self::MAX_DAYS_AHEAD {
            return Err(BookingSettingsError::DaysAhead {
                max: Self::MAX_DAYS_AHEAD,
            });
        }
        if self.offer_for.contains(&Score::Unscored) {
            return Err(BookingSettingsError::OfferFor);
        }
        Ok(())
    }
}

/// A time the calendar can take a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    /// When the meeting would start.
    pub start: DateTime<Utc>,
}

/// What the calendar needs to book a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    /// The chosen slot's start.
    pub start: DateTime<Utc>,
    /// The attendee's name.
    pub name: String,
    /// The attendee's email, when known.
    pub email: Option<Email>,
    /// The attendee's phone, when known.
    pub phone: Option<PhoneNumber>,
    /// The attendee's time zone (the tenant's: leads book local meetings).
    pub time_zone: Tz,
    /// The language of the calendar's own confirmation.
    pub language: Language,
    /// Our references, so the calendar's webhooks can be traced back to the lead.
    pub metadata: BTreeMap<String, String>,
}

/// A meeting the calendar confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedMeeting {
    /// The calendar's id of the booking; later changes refer to it.
    pub uid: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End, when the calendar says.
    pub end: Option<DateTime<Utc>>,
    /// The calendar's status (`accepted`, `pending`, ...).
    pub status: String,
    /// Link to join, for online meetings.
    pub meeting_url: Option<String>,
}

/// Why a calendar call failed; the use case decides what the lead hears.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The slot was taken since it was offered.
    #[error("the slot is no longer available: {0}")]
    SlotTaken(String),
    /// The calendar refused the request for another reason (a required field, a past time).
    #[error("the calendar refused the booking: {0}")]
    Rejected(String),
    /// The key is wrong or revoked: a person must reconnect the calendar.
    #[error("the calendar refused our credentials")]
    Unauthorized,
    /// The booking or event type does not exist.
    #[error("not found at the calendar: {0}")]
    NotFound(String),
    /// Too many requests; try again later.
    #[error("the calendar is rate limiting us")]
    RateLimited {
        /// How long the calendar asked us to wait.
        retry_after: Option<std::time::Duration>,
    },
    /// The calendar could not be reached or failed; the call may be retried.
    #[error("the calendar is unavailable: {0}")]
    Unavailable(String),
}

impl CalendarError {
    /// Whether trying again later may succeed.
    pub const fn is_retryable(&self) -> bool {
        matches!(
            self,
            CalendarError::RateLimited { .. } | CalendarError::Unavailable(_)
        )
    }
}

/// A calendar service that lists free slots and books, moves and cancels meetings.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Calendar: Send + Sync {
    /// Free slots between `from` and `to`.
    ///
    /// # Errors
    /// [`CalendarError`] when the calendar cannot answer.
    async fn slots(
        &self,
        settings: &BookingSettings,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        time_zone: Tz,
    ) -> Result<Vec<Slot>, CalendarError>;

    /// Books a slot.
    ///
    /// # Errors
    /// [`CalendarError::SlotTaken`] when the slot went in the meantime; others as they come.
    async fn book(
        &self,
        settings: &BookingSettings,
        booking: &NewBooking,
    ) -> Result<BookedMeeting, CalendarError>;

    /// Moves a booking to another slot; the calendar answers with the new booking.
    ///
    /// # Errors
    /// [`CalendarError::SlotTaken`] when the new slot went in the meantime; others as they come.
    async fn reschedule(
        &self,
        settings: &BookingSettings,
        uid: &str,
        start: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<BookedMeeting, CalendarError>;

    /// Cancels a booking.
    ///
    /// # Errors
    /// [`CalendarError`] when the calendar refuses or cannot be reached.
    async fn cancel(
        &self,
        settings: &BookingSettings,
        uid: &str,
        reason: Option<String>,
    ) -> Result<(), CalendarError>;
}

/// Where a lead's booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Slots were offered; the lead has not chosen yet.
    Offered,
    /// The lead chose a slot; we need an email before the calendar can book it.
    AwaitingContact,
    /// The calendar could not be reached; a job keeps trying and the team was told.
    Pending,
    /// Booked.
    Booked,
    /// Cancelled by the lead, the team or the calendar.
    Cancelled,
}

impl BookingStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Offered => "offered",
            BookingStatus::AwaitingContact => "awaiting_contact",
            BookingStatus::Pending => "pending",
            BookingStatus::Booked => "booked",
            BookingStatus::Cancelled => "cancelled",
        }
    }
}

/// One thing that happened to a booking, kept for the lead's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingChange {
    /// What happened (`offered`, `booked`, `rescheduled`, `cancelled`, `slot_taken`, ...).
    pub what: String,
    /// Who did it: `ai`, `lead`, `calendar` or a person.
    pub by: String,
    /// The meeting's start after the change, when there is one.
    pub start: Option<DateTime<Utc>>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A lead's booking: the slots offered, the choice, the calendar's uid and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRecord {
    /// Owner.
    pub tenant_id: TenantId,
    /// The lead it is for; one record per lead, reused when the lead books again.
    pub lead_id: LeadId,
    /// The conversation the booking was made in.
    pub conversation_id: ConversationId,
    /// Where it stands.
    pub status: BookingStatus,
    /// The slots last offered, in the order the lead saw them.
    pub offered: Vec<DateTime<Utc>>,
    /// The slot the lead chose, while it is not booked yet.
    pub chosen: Option<DateTime<Utc>>,
    /// The calendar's booking uid once booked.
    pub uid: Option<String>,
    /// The booked start.
    pub start: Option<DateTime<Utc>>,
    /// Whether the slots on offer are for moving an existing booking.
    pub rescheduling: bool,
    /// What happened, oldest first.
    pub history: Vec<BookingChange>,
    /// Optimistic version, bumped on every save.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl BookingRecord {
    /// A fresh record for a lead.
    pub fn new(
        tenant_id: TenantId,
        lead_id: LeadId,
        conversation_id: ConversationId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant_id,
            lead_id,
            conversation_id,
            status: BookingStatus::Offered,
            offered: Vec::new(),
            chosen: None,
            uid: None,
            start: None,
            rescheduling: false,
            history: Vec::new(),
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// Appends a history entry.
    pub fn record(
        &mut self,
        what: &str,
        by: &str,
        start: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) {
        self.history.push(BookingChange {
            what: what.to_owned(),
            by: by.to_owned(),
            start,
            at,
        });
        self.updated_at = at;
    }
}

/// Errors of the booking store.
pub type BookingStoreError = crate::ports::StoreError;

/// Keeps each lead's booking record.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BookingRepository: Send + Sync {
    /// The lead's booking record, if it ever had one.
    ///
    /// # Errors
    /// Storage failures.
    async fn booking_of_lead(
        &self,
        tenant: TenantId,
        lead: LeadId,
    ) -> Result<Option<BookingRecord>, BookingStoreError>;

    /// The record holding a calendar uid (current or earlier, for reschedules).
    ///
    /// # Errors
    /// Storage failures.
    async fn booking_by_uid(
        &self,
        tenant: TenantId,
        uid: &str,
    ) -> Result<Option<BookingRecord>, BookingStoreError>;

    /// Inserts or replaces the lead's record; refuses a stale version.
    ///
    /// # Errors
    /// [`crate::ports::StoreError::Stale`] when someone saved since `record` was read.
    async fn save_booking(
        &self,
        record: &BookingRecord,
    ) -> Result<BookingRecord, BookingStoreError>;
}

/// What a lead's message says about meetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingAsk {
    /// Wants to meet, visit, book.
    Meet,
    /// Wants to move the booked meeting.
    Reschedule,
    /// Wants to cancel the booked meeting.
    Cancel,
}

/// The reader's view of one message, for booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BookingReading {
    /// What the lead asks for, if anything about meetings.
    pub ask: Option<BookingAsk>,
    /// An ordinal the lead used ("the second one"), zero-based; `usize::MAX` for "the last".
    pub ordinal: Option<usize>,
    /// A day the lead named by date or relative word ("tomorrow"), resolved to a date.
    pub day: Option<NaiveDate>,
    /// A weekday the lead named ("Tuesday", "الثلاثاء"), matched against the slots' days.
    pub weekday: Option<Weekday>,
    /// A time of day the lead named.
    pub time: Option<NaiveTime>,
    /// Whether `time` had no am/pm and may be read either way (4 -> 04:00 or 16:00).
    pub time_ambiguous: bool,
    /// The lead declined every slot offered ("none of these work").
    pub none_suit: bool,
}

impl BookingReading {
    /// Whether the message names a slot at all.
    pub const fn names_a_slot(&self) -> bool {
        self.ordinal.is_some()
            || self.day.is_some()
            || self.weekday.is_some()
            || self.time.is_some()
    }
}

/// Reads booking requests and slot choices in a lead's message (offline, both languages).
pub trait BookingReader: Send + Sync {
    /// Reads `text`, resolving relative days ("tomorrow", "Tuesday") from `today`.
    fn read_booking(&self, text: &str, today: NaiveDate) -> BookingReading;
}

/// The last ordinal ("the last one").
pub const LAST: usize = usize::MAX;

/// Which offered slot a reading picks, if exactly one fits.
pub fn resolve_choice(
    offered: &[DateTime<Utc>],
    reading: &BookingReading,
    tz: Tz,
) -> Option<usize> {
    if offered.is_empty() {
        return None;
    }
    let mut candidates: Vec<usize> = (0..offered.len()).collect();
    if let Some(n) = reading.ordinal {
        let index = if n == LAST { offered.len() - 1 } else { n };
        candidates.retain(|i| *i == index);
    }
    if let Some(day) = reading.day {
        candidates.retain(|i| offered[*i].with_timezone(&tz).date_naive() == day);
    }
    if let Some(weekday) = reading.weekday {
        candidates.retain(|i| offered[*i].with_timezone(&tz).weekday() == weekday);
    }
    if let Some(time) = reading.time {
        candidates.retain(|i| time_matches(offered[*i], tz, time, reading.time_ambiguous));
    }
    match candidates.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn time_matches(slot: DateTime<Utc>, tz: Tz, time: NaiveTime, ambiguous: bool) -> bool {
    let local = slot.with_timezone(&tz).time();
    if local.hour() == time.hour() && local.minute() == time.minute() {
        return true;
    }
    ambiguous
        && time.hour() < 12
        && local.hour() == time.hour() + 12
        && local.minute() == time.minute()
}

/// The first date on or after `today` that falls on `weekday`.
pub fn next_weekday(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Duration::days(i64::from(ahead))
}

/// Picks up to `count` slots to offer: only inside business hours and at least `lead_time` from
/// now, the earliest first, then spread over different days so the lead has a real choice.
pub fn pick_offer(
    slots: &[Slot],
    hours: &BusinessHours,
    now: DateTime<Utc>,
    lead_time: Duration,
    count: usize,
) -> Vec<DateTime<Utc>> {
    let tz = hours.timezone();
    let mut usable: Vec<DateTime<Utc>> = slots
        .iter()
        .map(|s| s.start)
        .filter(|start| *start >= now + lead_time && hours.is_open(*start))
        .collect();
    usable.sort();
    usable.dedup();
    let mut picked: Vec<DateTime<Utc>> = Vec::new();
    // One slot per day first, then fill with other times on days already used.
    for start in &usable {
        if picked.len() >= count {
            break;
        }
        let day = start.with_timezone(&tz).date_naive();
        if !picked
            .iter()
            .any(|p| p.with_timezone(&tz).date_naive() == day)
        {
            picked.push(*start);
        }
    }
    for start in &usable {
        if picked.len() >= count {
            break;
        }
        let local = start.with_timezone(&tz);
        // A second time on a day already offered: a different half of the day reads as a real choice.
        let differs = picked.iter().all(|p| {
            let q = p.with_timezone(&tz);
            q.date_naive() != local.date_naive() || (q.hour() < 12) != (local.hour() < 12)
        });
        if differs && !picked.contains(start) {
            picked.push(*start);
        }
    }
    for start in &usable {
        if picked.len() >= count {
            break;
        }
        if !picked.contains(start) {
            picked.push(*start);
        }
    }
    picked.sort();
    picked
}

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const AR_DAYS: [&str; 7] = [
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "الأحد",
];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const AR_MONTHS: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

fn day_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

/// Writes a number with Arabic-Indic digits, as Gulf readers expect in Arabic text.
pub fn arabic_digits(n: u32) -> String {
    to_arabic_digits(&n.to_string())
}

fn to_arabic_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// A slot as the lead reads it, in the tenant's time zone: "Tuesday 3 Dec at 4:00 pm" or
/// "الثلاثاء ٣ ديسمبر الساعة ٤ مساءً".
pub fn format_slot(start: DateTime<Utc>, tz: Tz, language: Language) -> String {
    let local = start.with_timezone(&tz);
    let day = day_index(local.weekday());
    let month = local.month0() as usize;
    let (hour12, pm) = match local.hour() {
        0 => (12, false),
        h @ 1..=11 => (h, false),
        12 => (12, true),
        h => (h - 12, true),
    };
    match language {
        Language::En => {
            format!(
                "{} {} {} at {}:{:02} {}",
                EN_DAYS[day],
                local.day(),
                EN_MONTHS[month],
                hour12,
                local.minute(),
                if pm { "pm" } else { "am" }
            )
        }
        Language::Ar => {
            let time = if local.minute() == 0 {
                arabic_digits(hour12)
            } else {
                to_arabic_digits(&format!("{hour12}:{:02}", local.minute()))
            };
            format!(
                "{} {} {} الساعة {} {}",
                AR_DAYS[day],
                arabic_digits(local.day()),
                AR_MONTHS[month],
                time,
                if pm { "مساءً" } else { "صباحاً" }
            )
        }
    }
}

/// The text a lead receives for each step of a booking, in their language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingText<'a> {
    /// Slots offered to book.
    Offer(&'a [DateTime<Utc>]),
    /// Slots offered after the chosen one was taken.
    SlotTaken(&'a [DateTime<Utc>]),
    /// Slots offered to move a booking.
    RescheduleOffer(&'a [DateTime<Utc>]),
    /// The lead chose a slot but the calendar needs an email first.
    AskEmail(DateTime<Utc>),
    /// Booked.
    Confirmed {
        /// Start.
        start: DateTime<Utc>,
        /// Link to join, when online.
        meeting_url: Option<&'a str>,
    },
    /// Moved.
    Rescheduled(DateTime<Utc>),
    /// Cancelled.
    Cancelled(DateTime<Utc>),
    /// The calendar could not be reached: the team will confirm.
    TeamWillConfirm,
    /// No free slot in the window.
    NoSlots,
    /// The lead's choice matched none of the offered slots.
    WhichOne(&'a [DateTime<Utc>]),
    /// The lead asked to change or cancel but has no booking.
    NothingBooked,
}

fn numbered(slots: &[DateTime<Utc>], tz: Tz, language: Language) -> String {
    slots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            match language {
                Language::En => format!("{n}) {}", format_slot(*s, tz, language)),
                Language::Ar => format!("{}) {}", arabic_digits(n), format_slot(*s, tz, language)),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders a booking step for the lead, with times in the tenant's time zone.
pub fn booking_text(text: BookingText<'_>, tz: Tz, language: Language, business: &str) -> String {
    let zone = tz.name();
    match (text, language) {
        (BookingText::Offer(slots), Language::En) => format!(
            "I can book you in with {business} at one of these times ({zone} time):\n{}\nWhich one suits you? Reply with its number.",
            numbered(slots, tz, language)
        ),
        (BookingText::Offer(slots), Language::Ar) => format!(
            "يسعدنا نحجز لك موعد مع {business} في أحد هذه الأوقات (بتوقيت {zone}):\n{}\nأي موعد يناسبك؟ رد برقمه.",
            numbered(slots, tz, language)
        ),
        (BookingText::SlotTaken(slots), Language::En) => format!(
            "Sorry, that time was just taken. These are still free ({zone} time):\n{}\nWhich one suits you?",
            numbered(slots, tz, language)
        ),
        (BookingText::SlotTaken(slots), Language::Ar) => format!(
            "عذراً، هذا الموعد انحجز للتو. هذه الأوقات ما زالت متاحة (بتوقيت {zone}):\n{}\nأي موعد يناسبك؟",
            numbered(slots, tz, language)
        ),
        (BookingText::RescheduleOffer(slots), Language::En) => format!(
            "Sure. I can move your appointment to one of these times ({zone} time):\n{}\nWhich one suits you?",
            numbered(slots, tz, language)
        ),
        (BookingText::RescheduleOffer(slots), Language::Ar) => format!(
            "أكيد. أقدر أغير موعدك لأحد هذه الأوقات (بتوقيت {zone}):\n{}\nأي موعد يناسبك؟",
            numbered(slots, tz, language)
        ),
        (BookingText::WhichOne(slots), Language::En) => format!(
            "Which of these times would you like? Reply with its number:\n{}",
            numbered(slots, tz, language)
        ),
        (BookingText::WhichOne(slots), Language::Ar) => format!(
            "أي وقت من هذه يناسبك؟ رد برقمه:\n{}",
            numbered(slots, tz, language)
        ),
        (BookingText::AskEmail(start), Language::En) => format!(
            "{} works. What email address should the booking confirmation go to?",
            format_slot(start, tz, language)
        ),
        (BookingText::AskEmail(start), Language::Ar) => format!(
            "تمام، {} مناسب. على أي بريد إلكتروني نرسل لك تأكيد الموعد؟",
            format_slot(start, tz, language)
        ),
        (BookingText::Confirmed { start, meeting_url }, Language::En) => {
            let link = meeting_url.map(|u| format!(" Join here: {u}")).unwrap_or_default();
            format!(
                "You're booked with {business} on {} ({zone} time).{link} If you need to change or cancel, just reply here.",
                format_slot(start, tz, language)
            )
        }
        (BookingText::Confirmed { start, meeting_url }, Language::Ar) => {
            let link = meeting_url.map(|u| format!(" رابط الاجتماع: {u}")).unwrap_or_default();
            format!(
                "تم تأكيد موعدك مع {business} يوم {} (بتوقيت {zone}).{link} إذا احتجت تغيير الموعد أو إلغاءه رد علينا هنا.",
                format_slot(start, tz, language)
            )
        }
        (BookingText::Rescheduled(start), Language::En) => format!(
            "Done: your appointment is moved to {} ({zone} time).",
            format_slot(start, tz, language)
        ),
        (BookingText::Rescheduled(start), Language::Ar) => format!(
            "تم: موعدك صار {} (بتوقيت {zone}).",
            format_slot(start, tz, language)
        ),
        (BookingText::Cancelled(start), Language::En) => format!(
            "Your appointment on {} is cancelled. If you'd like another time, just tell us.",
            format_slot(start, tz, language)
        ),
        (BookingText::Cancelled(start), Language::Ar) => format!(
            "تم إلغاء موعدك يوم {}. إذا تبغى موعد ثاني قل لنا.",
            format_slot(start, tz, language)
        ),
        (BookingText::TeamWillConfirm, Language::En) => {
            "Thanks! Our calendar isn't answering right now, so a member of the team will confirm a time with you shortly.".to_owned()
        }
        (BookingText::TeamWillConfirm, Language::Ar) => {
            "شكراً لك! نظام المواعيد لا يستجيب حالياً، وسيتواصل معك أحد أفراد الفريق قريباً لتأكيد الموعد.".to_owned()
        }
        (BookingText::NoSlots, Language::En) => {
            "There are no free times in the next few days, so a member of the team will get in touch to find one that suits you.".to_owned()
        }
        (BookingText::NoSlots, Language::Ar) => {
            "ما فيه أوقات متاحة في الأيام الجاية، وسيتواصل معك أحد أفراد الفريق لتحديد وقت يناسبك.".to_owned()
        }
        (BookingText::NothingBooked, Language::En) => {
            "I can't find an appointment booked for you. Would you like me to offer you some times?".to_owned()
        }
        (BookingText::NothingBooked, Language::Ar) => {
            "ما لقيت موعد محجوز باسمك. تبغى أعرض عليك أوقات متاحة؟".to_owned()
        }
    }
}

#[cfg(test)]
mod tests;
