//! Booking in the conversation: offering slots from the tenant's calendar, booking the lead's
//! choice, moving and cancelling it, retrying when the calendar is down, and following the
//! calendar's own webhooks so bookings made elsewhere update the lead the same way.

use super::{Deps, UseCaseError, all_messages, queue_outbound, reply_address};
use crate::booking::{
    BookedMeeting, BookingAsk, BookingReader, BookingReading, BookingRecord, BookingRepository,
    BookingStatus, BookingText, Calendar, CalendarError, NewBooking, booking_text, next_weekday,
    pick_offer, resolve_choice,
};
use crate::contact::Email;
use crate::ids::{ConversationId, JobId, LeadId, TenantId};
use crate::jobs::JobPayload;
use crate::language::Language;
use crate::lead::{Conversation, Lead, Sender};
use crate::lifecycle::{LeadEvent, LeadState, StateChange};
use crate::ports::{ContactInfo, HandoffPacket, Notification, StoreError};
use crate::tenant::Tenant;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The adapters booking runs on; `None` in [`Deps`] turns booking off for every tenant.
#[derive(Clone)]
pub struct BookingDeps {
    /// The calendar service.
    pub calendar: Arc<dyn Calendar>,
    /// Each lead's booking record.
    pub records: Arc<dyn BookingRepository>,
    /// Reads booking requests and choices in a lead's message.
    pub reader: Arc<dyn BookingReader>,
}

/// How many slots one offer shows.
pub const SLOTS_OFFERED: usize = 3;

/// The shortest notice a slot is offered at.
pub fn lead_time() -> Duration {
    Duration::hours(1)
}

/// What a booking turn says to the lead, when the message was about a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingReply {
    /// The reply text.
    pub body: String,
    /// The lead after any state change the turn made.
    pub lead: Lead,
}

struct Turn<'a> {
    deps: &'a Deps,
    booking: &'a BookingDeps,
    tenant: &'a Tenant,
    tz: Tz,
    language: Language,
    now: DateTime<Utc>,
}

impl Turn<'_> {
    fn text(&self, text: BookingText<'_>) -> String {
        booking_text(text, self.tz, self.language, self.tenant.business_name())
    }

    fn settings(&self) -> Result<&crate::booking::BookingSettings, UseCaseError> {
        self.tenant
            .settings
            .booking
            .as_ref()
            .ok_or(UseCaseError::NotFound("booking settings"))
    }

    /// Free slots to offer, on `day` when the lead named one, else over the tenant's window.
    async fn offer(
        &self,
        day: Option<NaiveDate>,
        exclude: &[DateTime<Utc>],
    ) -> Result<Vec<DateTime<Utc>>, CalendarError> {
        let settings = self
            .settings()
            .map_err(|e| CalendarError::Rejected(e.to_string()))?;
        let (from, to) = match day.and_then(|d| local_day_bounds(d, self.tz)) {
            Some((start, end)) => (start.max(self.now), end),
            None => (
                self.now,
                self.now + Duration::days(i64::from(settings.days_ahead)),
            ),
        };
        if to <= from {
            return Ok(Vec::new());
        }
        let mut slots = self
            .booking
            .calendar
            .slots(settings, from, to, self.tz)
            .await?;
        slots.retain(|s| !exclude.contains(&s.start));
        Ok(pick_offer(
            &slots,
            &self.tenant.settings.business_hours,
            self.now,
            lead_time(),
            SLOTS_OFFERED,
        ))
    }

    async fn save(&self, record: &BookingRecord) -> Result<BookingRecord, UseCaseError> {
        Ok(self.booking.records.save_booking(record).await?)
    }
}

fn local_day_bounds(day: NaiveDate, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()?
        .with_timezone(&Utc);
    let end = tz
        .from_local_datetime(&(day + Duration::days(1)).and_hms_opt(0, 0, 0)?)
        .earliest()?
        .with_timezone(&Utc);
    Some((start, end))
}

/// The email the calendar books with: verified first, else the one the lead typed.
fn booking_email(lead: &Lead) -> Option<Email> {
    lead.email.clone().or_else(|| lead.claimed_email.clone())
}

/// Moves a lead to APPOINTMENT_BOOKED through the legal path from where it is.
fn to_booked(lead: &mut Lead, reason: &str, now: DateTime<Utc>) -> Vec<StateChange> {
    let path: &[LeadEvent] = match lead.state {
        LeadState::New => &[
            LeadEvent::StartQualifying,
            LeadEvent::Qualify,
            LeadEvent::BookAppointment,
        ],
        LeadState::Nurturing => &[
            LeadEvent::Reengage,
            LeadEvent::Qualify,
            LeadEvent::BookAppointment,
        ],
        LeadState::Qualifying => &[LeadEvent::Qualify, LeadEvent::BookAppointment],
        LeadState::Qualified => &[LeadEvent::BookAppointment],
        LeadState::AppointmentBooked | LeadState::HandedOff | LeadState::Disqualified => &[],
    };
    path.iter()
        .filter_map(|e| lead.apply(*e, reason.to_owned(), now).ok())
        .collect()
}

async fn save_lead(
    deps: &Deps,
    lead: &Lead,
    changes: &[StateChange],
) -> Result<Lead, UseCaseError> {
    if changes.is_empty() {
        return Ok(lead.clone());
    }
    Ok(deps.leads.update_lead(lead, changes).await?)
}

/// Runs the booking part of a lead's turn. Returns the reply when the message was about a
/// meeting (or the lead's score calls for an offer); `None` leaves the turn to the qualifier.
///
/// # Errors
/// Storage failures; calendar failures become honest replies, never errors.
pub async fn booking_turn(
    deps: &Deps,
    tenant: &Tenant,
    lead: &Lead,
    conversation: &Conversation,
    text: &str,
    language: Language,
) -> Result<Option<BookingReply>, UseCaseError> {
    let (Some(settings), Some(booking)) = (tenant.settings.booking.as_ref(), deps.booking.as_ref())
    else {
        return Ok(None);
    };
    let tz = tenant.settings.business_hours.timezone();
    let now = deps.clock.now();
    let today = now.with_timezone(&tz).date_naive();
    let reading = booking.reader.read_booking(text, today);
    let turn = Turn {
        deps,
        booking,
        tenant,
        tz,
        language,
        now,
    };
    let record = booking.records.booking_of_lead(tenant.id, lead.id).await?;
    let mut lead = lead.clone();
    let body = match record {
        Some(rec) if rec.status == BookingStatus::Booked => match reading.ask {
            Some(BookingAsk::Cancel) => Some(cancel(&turn, &mut lead, rec).await?),
            Some(BookingAsk::Reschedule) => {
                Some(offer_new(&turn, rec, &reading, true, "reschedule_offered").await?)
            }
            _ => None,
        },
        Some(rec) if matches!(rec.status, BookingStatus::Offered) && !rec.offered.is_empty() => {
            choose(&turn, &mut lead, conversation, rec, &reading).await?
        }
        Some(rec) if rec.status == BookingStatus::AwaitingContact => match rec.chosen {
            Some(start) if booking_email(&lead).is_some() => {
                Some(book(&turn, &mut lead, conversation, rec, start).await?)
            }
            Some(start) if reading.ask.is_none() && !reading.names_a_slot() => {
                Some(turn.text(BookingText::AskEmail(start)))
            }
            _ => choose(&turn, &mut lead, conversation, rec, &reading).await?,
        },
        // A retry job owns a pending booking; the qualifier answers meanwhile.
        Some(rec) if rec.status == BookingStatus::Pending => None,
        existing => {
            let asked = reading.ask == Some(BookingAsk::Meet);
            let score_calls = existing.is_none() && settings.offer_for.contains(&lead.score.score);
            match reading.ask {
                Some(BookingAsk::Cancel | BookingAsk::Reschedule) if existing.is_none() => {
                    Some(turn.text(BookingText::NothingBooked))
                }
                _ if asked || score_calls => {
                    let rec = existing.unwrap_or_else(|| {
                        BookingRecord::new(tenant.id, lead.id, conversation.id, now)
                    });
                    Some(offer_new(&turn, rec, &reading, false, "offered").await?)
                }
                _ => None,
            }
        }
    };
    Ok(body.map(|body| BookingReply { body, lead }))
}

/// Offers fresh slots (on the day the lead named, if any) and records them.
async fn offer_new(
    turn: &Turn<'_>,
    mut rec: BookingRecord,
    reading: &BookingReading,
    rescheduling: bool,
    what: &str,
) -> Result<String, UseCaseError> {
    let day = reading.day.or_else(|| {
        reading
            .weekday
            .map(|w| next_weekday(turn.now.with_timezone(&turn.tz).date_naive(), w))
    });
    let exclude = if what == "slot_taken" {
        rec.chosen.into_iter().collect()
    } else {
        Vec::new()
    };
    let mut offered = match turn.offer(day, &exclude).await {
        Ok(o) => o,
        Err(_) => return Ok(turn.text(BookingText::TeamWillConfirm)),
    };
    if offered.is_empty() && day.is_some() {
        // Nothing that day: the whole window instead.
        offered = match turn.offer(None, &exclude).await {
            Ok(o) => o,
            Err(_) => return Ok(turn.text(BookingText::TeamWillConfirm)),
        };
    }
    if offered.is_empty() {
        return Ok(turn.text(BookingText::NoSlots));
    }
    if !rescheduling {
        rec.status = BookingStatus::Offered;
    }
    rec.rescheduling = rescheduling;
    rec.offered = offered.clone();
    if what != "slot_taken" {
        rec.chosen = None;
    }
    rec.record(what, "ai", None, turn.now);
    turn.save(&rec).await?;
    Ok(turn.text(match (what, rescheduling) {
        ("slot_taken", _) => BookingText::SlotTaken(&offered),
        (_, true) => BookingText::RescheduleOffer(&offered),
        _ => BookingText::Offer(&offered),
    }))
}

/// The lead answered an offer: book or move the slot it picks, re-offer when none suits.
async fn choose(
    turn: &Turn<'_>,
    lead: &mut Lead,
    conversation: &Conversation,
    rec: BookingRecord,
    reading: &BookingReading,
) -> Result<Option<String>, UseCaseError> {
    if let Some(index) = resolve_choice(&rec.offered, reading, turn.tz) {
        let start = rec.offered[index];
        return Ok(Some(if rec.rescheduling {
            reschedule(turn, lead, rec, start).await?
        } else {
            book(turn, lead, conversation, rec, start).await?
        }));
    }
    if reading.ask == Some(BookingAsk::Cancel) && rec.status != BookingStatus::Booked {
        let mut rec = rec;
        rec.status = BookingStatus::Cancelled;
        rec.offered.clear();
        rec.record("declined", "lead", None, turn.now);
        turn.save(&rec).await?;
        return Ok(None);
    }
    if reading.none_suit || reading.day.is_some() || reading.weekday.is_some() {
        let rescheduling = rec.rescheduling;
        return Ok(Some(
            offer_new(turn, rec, reading, rescheduling, "offered_again").await?,
        ));
    }
    if reading.names_a_slot() {
        return Ok(Some(turn.text(BookingText::WhichOne(&rec.offered))));
    }
    Ok(None)
}

/// Books `start` for the lead, asking for an email first when the calendar needs one.
async fn book(
    turn: &Turn<'_>,
    lead: &mut Lead,
    conversation: &Conversation,
    mut rec: BookingRecord,
    start: DateTime<Utc>,
) -> Result<String, UseCaseError> {
    let Some(email) = booking_email(lead) else {
        rec.status = BookingStatus::AwaitingContact;
        rec.chosen = Some(start);
        rec.record("chosen", "lead", Some(start), turn.now);
        turn.save(&rec).await?;
        return Ok(turn.text(BookingText::AskEmail(start)));
    };
    rec.chosen = Some(start);
    let request = new_booking(turn, lead, email, start);
    match turn.booking.calendar.book(turn.settings()?, &request).await {
        Ok(meeting) => {
            booked(turn, lead, &mut rec, &meeting, "ai").await?;
            Ok(turn.text(BookingText::Confirmed {
                start: meeting.start,
                meeting_url: meeting.meeting_url.as_deref(),
            }))
        }
        Err(CalendarError::SlotTaken(_)) => {
            offer_new(turn, rec, &BookingReading::default(), false, "slot_taken").await
        }
        Err(e) if e.is_retryable() => {
            rec.status = BookingStatus::Pending;
            rec.record("calendar_unavailable", "ai", Some(start), turn.now);
            turn.save(&rec).await?;
            let job = JobPayload::BookMeeting {
                lead_id: lead.id,
                conversation_id: conversation.id,
            }
            .job(
                JobId::from_uuid(turn.deps.ids.new_uuid()),
                turn.tenant.id,
                turn.now + e_retry_after(&e).unwrap_or_else(|| Duration::seconds(30)),
            );
            turn.deps.jobs.enqueue(&job).await?;
            Ok(turn.text(BookingText::TeamWillConfirm))
        }
        Err(_) => {
            rec.status = BookingStatus::Pending;
            rec.record("calendar_refused", "ai", Some(start), turn.now);
            turn.save(&rec).await?;
            notify_booking(
                turn.deps,
                turn.tenant,
                lead,
                conversation.id,
                "booking_failed",
                Some(start),
            )
            .await;
            Ok(turn.text(BookingText::TeamWillConfirm))
        }
    }
}

fn e_retry_after(e: &CalendarError) -> Option<Duration> {
    match e {
        CalendarError::RateLimited {
            retry_after: Some(d),
        } => Duration::from_std(*d).ok(),
        _ => None,
    }
}

fn new_booking(turn: &Turn<'_>, lead: &Lead, email: Email, start: DateTime<Utc>) -> NewBooking {
    let name = lead
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("Guest")
                .to_owned()
        });
    NewBooking {
        start,
        name,
        email: Some(email),
        phone: lead.phone.clone().or_else(|| lead.claimed_phone.clone()),
        time_zone: turn.tz,
        language: turn.language,
        metadata: BTreeMap::from([
            ("lead_id".to_owned(), lead.id.to_string()),
            ("client_id".to_owned(), turn.tenant.id.to_string()),
        ]),
    }
}

/// Records a confirmed booking on the record and the lead, and tells the team.
async fn booked(
    turn: &Turn<'_>,
    lead: &mut Lead,
    rec: &mut BookingRecord,
    meeting: &BookedMeeting,
    by: &str,
) -> Result<(), UseCaseError> {
    rec.status = BookingStatus::Booked;
    rec.uid = Some(meeting.uid.clone());
    rec.start = Some(meeting.start);
    rec.chosen = None;
    rec.offered.clear();
    rec.rescheduling = false;
    rec.record("booked", by, Some(meeting.start), turn.now);
    // The lead first: a retry after a conflict finds the record not yet booked and completes both.
    let changes = to_booked(lead, "booked a meeting", turn.now);
    *lead = save_lead(turn.deps, lead, &changes).await?;
    *rec = turn.save(rec).await?;
    notify_booking(
        turn.deps,
        turn.tenant,
        lead,
        rec.conversation_id,
        "appointment.booked",
        Some(meeting.start),
    )
    .await;
    Ok(())
}

async fn reschedule(
    turn: &Turn<'_>,
    lead: &mut Lead,
    mut rec: BookingRecord,
    start: DateTime<Utc>,
) -> Result<String, UseCaseError> {
    let Some(uid) = rec.uid.clone() else {
        return Ok(turn.text(BookingText::NothingBooked));
    };
    match turn
        .booking
        .calendar
        .reschedule(
            turn.settings()?,
            &uid,
            start,
            Some("asked by the lead".to_owned()),
        )
        .await
    {
        Ok(meeting) => {
            rec.uid = Some(meeting.uid.clone());
            rec.start = Some(meeting.start);
            rec.offered.clear();
            rec.rescheduling = false;
            rec.record("rescheduled", "lead", Some(meeting.start), turn.now);
            let rec = turn.save(&rec).await?;
            notify_booking(
                turn.deps,
                turn.tenant,
                lead,
                rec.conversation_id,
                "appointment.rescheduled",
                Some(meeting.start),
            )
            .await;
            Ok(turn.text(BookingText::Rescheduled(meeting.start)))
        }
        Err(CalendarError::SlotTaken(_)) => {
            rec.chosen = Some(start);
            offer_new(turn, rec, &BookingReading::default(), true, "slot_taken").await
        }
        Err(_) => {
            notify_booking(
                turn.deps,
                turn.tenant,
                lead,
                rec.conversation_id,
                "reschedule_failed",
                Some(start),
            )
            .await;
            Ok(turn.text(BookingText::TeamWillConfirm))
        }
    }
}

async fn cancel(
    turn: &Turn<'_>,
    lead: &mut Lead,
    mut rec: BookingRecord,
) -> Result<String, UseCaseError> {
    let (Some(uid), Some(start)) = (rec.uid.clone(), rec.start) else {
        return Ok(turn.text(BookingText::NothingBooked));
    };
    match turn
        .booking
        .calendar
        .cancel(
            turn.settings()?,
            &uid,
            Some("cancelled by the lead in the conversation".to_owned()),
        )
        .await
    {
        Ok(()) | Err(CalendarError::NotFound(_)) => {
            cancelled(turn.deps, turn.tenant, lead, &mut rec, "lead", turn.now).await?;
            Ok(turn.text(BookingText::Cancelled(start)))
        }
        Err(_) => {
            notify_booking(
                turn.deps,
                turn.tenant,
                lead,
                rec.conversation_id,
                "cancel_failed",
                Some(start),
            )
            .await;
            Ok(turn.text(BookingText::TeamWillConfirm))
        }
    }
}

async fn cancelled(
    deps: &Deps,
    tenant: &Tenant,
    lead: &mut Lead,
    rec: &mut BookingRecord,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), UseCaseError> {
    rec.status = BookingStatus::Cancelled;
    let start = rec.start;
    rec.record("cancelled", by, start, now);
    let mut changes = Vec::new();
    if lead.state == LeadState::AppointmentBooked
        && let Ok(change) = lead.apply(
            LeadEvent::CancelAppointment,
            format!("appointment cancelled by {by}"),
            now,
        )
    {
        changes.push(change);
    }
    // The lead first, as for a booking: a retry completes what a conflict interrupted.
    *lead = save_lead(deps, lead, &changes).await?;
    *rec = deps
        .booking
        .as_ref()
        .ok_or(UseCaseError::NotFound("booking"))?
        .records
        .save_booking(rec)
        .await?;
    notify_booking(
        deps,
        tenant,
        lead,
        rec.conversation_id,
        "appointment.cancelled",
        start,
    )
    .await;
    Ok(())
}

/// Tells the team about a booking change; a failed notification never fails the booking.
async fn notify_booking(
    deps: &Deps,
    tenant: &Tenant,
    lead: &Lead,
    conversation: ConversationId,
    what: &str,
    start: Option<DateTime<Utc>>,
) {
    let Ok(Some(conversation)) = deps.leads.get_conversation(tenant.id, conversation).await else {
        return;
    };
    let messages = all_messages(deps, tenant.id, conversation.id)
        .await
        .unwrap_or_default();
    let _ = deps
        .notifier
        .notify(
            tenant,
            &Notification::Booking {
                lead_id: lead.id,
                conversation_id: conversation.id,
                what: what.to_owned(),
                start,
                packet: Box::new(HandoffPacket::of(lead, &conversation, &messages)),
            },
        )
        .await;
}

/// Retries a booking the calendar could not take when the lead chose it; confirms to the lead
/// when it goes through.
///
/// # Errors
/// Retryable [`UseCaseError`] while the calendar stays down, so the job queue tries again.
pub async fn run_booking_job(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
) -> Result<Option<String>, UseCaseError> {
    let booking = deps
        .booking
        .as_ref()
        .ok_or(UseCaseError::NotFound("booking"))?;
    let tenant = deps
        .tenants
        .get_tenant(tenant_id)
        .await?
        .ok_or(UseCaseError::NotFound("tenant"))?;
    let mut lead = deps
        .leads
        .get_lead(tenant_id, lead_id)
        .await?
        .ok_or(UseCaseError::NotFound("lead"))?;
    let conversation = deps
        .leads
        .get_conversation(tenant_id, conversation_id)
        .await?
        .ok_or(UseCaseError::NotFound("conversation"))?;
    let Some(mut rec) = booking.records.booking_of_lead(tenant_id, lead_id).await? else {
        return Ok(Some("no booking to retry".to_owned()));
    };
    let (BookingStatus::Pending, Some(start)) = (rec.status, rec.chosen) else {
        return Ok(Some("booking no longer pending".to_owned()));
    };
    let Some(email) = booking_email(&lead) else {
        return Ok(Some("no email to book with".to_owned()));
    };
    let language = conversation
        .language
        .unwrap_or(tenant.settings.default_language);
    let turn = Turn {
        deps,
        booking,
        tenant: &tenant,
        tz: tenant.settings.business_hours.timezone(),
        language,
        now: deps.clock.now(),
    };
    let request = new_booking(&turn, &lead, email, start);
    let body = match booking.calendar.book(turn.settings()?, &request).await {
        Ok(meeting) => {
            booked(&turn, &mut lead, &mut rec, &meeting, "ai").await?;
            turn.text(BookingText::Confirmed {
                start: meeting.start,
                meeting_url: meeting.meeting_url.as_deref(),
            })
        }
        Err(CalendarError::SlotTaken(_)) => {
            offer_new(&turn, rec, &BookingReading::default(), false, "slot_taken").await?
        }
        Err(e) if e.is_retryable() => {
            return Err(UseCaseError::Calendar(e));
        }
        Err(e) => {
            notify_booking(
                deps,
                &tenant,
                &lead,
                conversation.id,
                "booking_failed",
                Some(start),
            )
            .await;
            return Ok(Some(format!("calendar refused the booking: {e}")));
        }
    };
    let known = ContactInfo {
        phone: lead.phone.clone(),
        email: lead.email.clone(),
        ..ContactInfo::default()
    };
    let to = conversation.reply_to.clone().or_else(|| {
        let can_deliver = |c| deps.sender.can_deliver(&tenant, c);
        reply_address(&tenant, conversation.channel, &known, &can_deliver).map(|(_, a)| a)
    });
    if let Some(to) = to {
        queue_outbound(
            deps,
            &tenant,
            &conversation,
            &to,
            Sender::Ai,
            body,
            Some(language),
        )
        .await?;
    }
    Ok(None)
}

/// Tells the team a booking could not be made after every retry.
pub async fn booking_gave_up(
    deps: &Deps,
    tenant_id: TenantId,
    lead_id: LeadId,
    conversation_id: ConversationId,
) -> Result<(), StoreError> {
    let (Some(tenant), Some(lead)) = (
        deps.tenants.get_tenant(tenant_id).await?,
        deps.leads.get_lead(tenant_id, lead_id).await?,
    ) else {
        return Ok(());
    };
    notify_booking(
        deps,
        &tenant,
        &lead,
        conversation_id,
        "booking_failed",
        None,
    )
    .await;
    Ok(())
}

/// A booking change the calendar reported through its webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarChange {
    /// A booking was made.
    Created {
        /// Its uid.
        uid: String,
        /// Its start.
        start: DateTime<Utc>,
    },
    /// A booking was moved; `uid` is the new booking.
    Rescheduled {
        /// The new booking's uid.
        uid: String,
        /// The booking it replaced.
        previous_uid: Option<String>,
        /// The new start.
        start: DateTime<Utc>,
    },
    /// A booking was cancelled.
    Cancelled {
        /// Its uid.
        uid: String,
    },
}

/// How the calendar's webhook names the lead: our reference, else the attendee's email.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarAttendee {
    /// The lead id we put in the booking's metadata.
    pub lead_ref: Option<LeadId>,
    /// The attendee's email.
    pub email: Option<Email>,
}

/// What applying a calendar webhook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarOutcome {
    /// The lead and its booking record were updated.
    Applied(LeadId),
    /// The change was already recorded (a repeat delivery).
    AlreadyApplied(LeadId),
    /// No lead of this tenant matches the booking.
    NoLead,
}

/// Applies a booking made, moved or cancelled on the calendar's side to the lead it belongs to,
/// the same way as a booking made in the conversation.
///
/// # Errors
/// Storage failures.
pub async fn apply_calendar_change(
    deps: &Deps,
    tenant: &Tenant,
    change: &CalendarChange,
    attendee: &CalendarAttendee,
) -> Result<CalendarOutcome, UseCaseError> {
    let booking = deps
        .booking
        .as_ref()
        .ok_or(UseCaseError::NotFound("booking"))?;
    let now = deps.clock.now();
    let (uid, previous) = match change {
        CalendarChange::Created { uid, .. } | CalendarChange::Cancelled { uid } => (uid, None),
        CalendarChange::Rescheduled {
            uid, previous_uid, ..
        } => (uid, previous_uid.as_ref()),
    };
    let mut record = booking.records.booking_by_uid(tenant.id, uid).await?;
    if record.is_none()
        && let Some(old) = previous
    {
        record = booking.records.booking_by_uid(tenant.id, old).await?;
    }
    let lead_id = match &record {
        Some(r) => Some(r.lead_id),
        None => match attendee.lead_ref {
            Some(id) if deps.leads.get_lead(tenant.id, id).await?.is_some() => Some(id),
            _ => match &attendee.email {
                Some(email) => {
                    deps.leads
                        .lead_with_contact(
                            tenant.id,
                            None,
                            Some(email.clone()),
                            LeadId::from_uuid(uuid::Uuid::nil()),
                        )
                        .await?
                }
                None => None,
            },
        },
    };
    let Some(lead_id) = lead_id else {
        return Ok(CalendarOutcome::NoLead);
    };
    let Some(mut lead) = deps.leads.get_lead(tenant.id, lead_id).await? else {
        return Ok(CalendarOutcome::NoLead);
    };
    let mut rec = match record {
        Some(r) => r,
        None => match booking.records.booking_of_lead(tenant.id, lead_id).await? {
            Some(r) => r,
            None => {
                let conversation = deps
                    .leads
                    .lead_conversations(tenant.id, lead_id)
                    .await?
                    .into_iter()
                    .next()
                    .map(|c| c.id)
                    .ok_or(UseCaseError::NotFound("conversation"))?;
                BookingRecord::new(tenant.id, lead_id, conversation, now)
            }
        },
    };
    let turn = Turn {
        deps,
        booking,
        tenant,
        tz: tenant.settings.business_hours.timezone(),
        language: tenant.settings.default_language,
        now,
    };
    match change {
        CalendarChange::Created { uid, start } => {
            // A uid is never booked twice: a repeat, or a replay after it was cancelled.
            if rec.uid.as_deref() == Some(uid)
                && matches!(rec.status, BookingStatus::Booked | BookingStatus::Cancelled)
            {
                return Ok(CalendarOutcome::AlreadyApplied(lead_id));
            }
            let meeting = BookedMeeting {
                uid: uid.clone(),
                start: *start,
                end: None,
                status: "accepted".to_owned(),
                meeting_url: None,
            };
            booked(&turn, &mut lead, &mut rec, &meeting, "calendar").await?;
        }
        CalendarChange::Rescheduled { uid, start, .. } => {
            if rec.uid.as_deref() == Some(uid)
                && (rec.start == Some(*start) || rec.status == BookingStatus::Cancelled)
            {
                return Ok(CalendarOutcome::AlreadyApplied(lead_id));
            }
            rec.uid = Some(uid.clone());
            rec.start = Some(*start);
            rec.status = BookingStatus::Booked;
            rec.record("rescheduled", "calendar", Some(*start), now);
            let changes = to_booked(&mut lead, "meeting moved in the calendar", now);
            save_lead(deps, &lead, &changes).await?;
            turn.save(&rec).await?;
        }
        CalendarChange::Cancelled { uid } => {
            if rec.status == BookingStatus::Cancelled || rec.uid.as_deref() != Some(uid.as_str()) {
                return Ok(CalendarOutcome::AlreadyApplied(lead_id));
            }
            cancelled(deps, tenant, &mut lead, &mut rec, "calendar", now).await?;
        }
    }
    Ok(CalendarOutcome::Applied(lead_id))
}
