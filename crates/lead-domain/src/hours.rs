//! Business hours in a tenant's IANA timezone: split shifts, overnight shifts, holidays and DST.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One opening period of a day: `start` to `end` local time; an `end` at or before `start`
/// runs past midnight into the next day (a night shift belongs to the day it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Opening time, `HH:MM`.
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    /// Closing time, `HH:MM`; `24:00` or `00:00` mean midnight at the end of the day.
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim() == "24:00" {
            return Ok(NaiveTime::MIN);
        }
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
            .map_err(|_| serde::de::Error::custom(format!("invalid time {s:?}: expected HH:MM")))
    }
}

/// A day's hours as the API accepts them: one shift object, or a list for split shifts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum DayHours {
    One(Shift),
    Many(Vec<Shift>),
}

/// Why business hours were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    /// The timezone is not an IANA name.
    #[error("unknown timezone {0:?}: expected an IANA name such as Asia/Riyadh")]
    UnknownTimezone(String),
    /// A day name is not one of monday..sunday.
    #[error("unknown day {0:?}: expected monday to sunday")]
    UnknownDay(String),
    /// A shift opens and closes at the same time.
    #[error("shift on {0} opens and closes at the same time")]
    EmptyShift(String),
}

/// Parses an IANA timezone name.
///
/// # Errors
/// [`HoursError::UnknownTimezone`] for names chrono-tz does not know.
pub fn parse_timezone(name: &str) -> Result<Tz, HoursError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| HoursError::UnknownTimezone(name.to_owned()))
}

/// A tenant's opening hours: a timezone, shifts per weekday and closed dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    timezone: Tz,
    /// Shifts per weekday, Monday first.
    weekly: [Vec<Shift>; 7],
    holidays: BTreeSet<NaiveDate>,
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// How far ahead [`BusinessHours::next_opening`] looks before concluding the business never opens.
const HORIZON_DAYS: i64 = 400;

impl BusinessHours {
    /// Hours with no shifts: always closed until shifts are added.
    pub fn closed(timezone: Tz) -> Self {
        Self {
            timezone,
            weekly: Default::default(),
            holidays: BTreeSet::new(),
        }
    }

    /// Builds hours from the API's map of day name to shift(s), e.g. the seed's
    /// `{"monday": {"start": "09:00", "end": "18:00"}}`.
    ///
    /// # Errors
    /// [`HoursError`] for an unknown day name or an empty shift.
    pub fn from_days(
        timezone: Tz,
        days: &BTreeMap<String, Vec<Shift>>,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, HoursError> {
        let mut hours = Self::closed(timezone);
        for (name, shifts) in days {
            let idx = DAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| HoursError::UnknownDay(name.clone()))?;
            for s in shifts {
                if s.start == s.end && s.start != NaiveTime::MIN {
                    return Err(HoursError::EmptyShift(name.clone()));
                }
            }
            hours.weekly[idx] = shifts.clone();
        }
        hours.holidays = holidays.into_iter().collect();
        Ok(hours)
    }

    /// Parses the API's JSON form of weekly hours (one shift or a list per day) with a timezone.
    ///
    /// # Errors
    /// [`HoursError`] when a day or shift is invalid; JSON shape errors come back as `UnknownDay`
    /// naming the day that failed.
    pub fn from_json_days(
        timezone: Tz,
        days: &BTreeMap<String, serde_value::RawDay>,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, HoursError> {
        let expanded: BTreeMap<String, Vec<Shift>> = days
            .iter()
            .map(|(k, v)| {
                let shifts = match &v.0 {
                    DayHours::One(s) => vec![*s],
                    DayHours::Many(v) => v.clone(),
                };
                (k.clone(), shifts)
            })
            .collect();
        Self::from_days(timezone, &expanded, holidays)
    }

    /// The weekly shifts as a map from day name to shifts, for storage and the API.
    pub fn days(&self) -> BTreeMap<String, Vec<Shift>> {
        DAY_NAMES
            .iter()
            .zip(&self.weekly)
            .filter(|(_, s)| !s.is_empty())
            .map(|(d, s)| ((*d).to_owned(), s.clone()))
            .collect()
    }

    /// Closed dates (local calendar days).
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// The tenant's timezone.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// Whether the business is open at this instant.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let today = at.with_timezone(&self.timezone).date_naive();
        (-1..=0).any(|offset| {
            self.intervals_starting_on(today + Duration::days(offset))
                .any(|(start, end)| start <= at && at < end)
        })
    }

    /// The first instant at or after `at` when the business is open; `at` itself when open now,
    /// `None` when it has no opening within the next 400 days.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return Some(at);
        }
        let today = at.with_timezone(&self.timezone).date_naive();
        for offset in 0..=HORIZON_DAYS {
            let first = self
                .intervals_starting_on(today + Duration::days(offset))
                .filter(|(start, _)| *start > at)
                .map(|(start, _)| start)
                .min();
            if first.is_some() {
                return first;
            }
        }
        None
    }

    /// The opening intervals (UTC, half-open) of the shifts that start on a local date.
    pub fn intervals_starting_on(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let closed = self.holidays.contains(&date);
        let shifts: &[Shift] = if closed {
            &[]
        } else {
            &self.weekly[date.weekday().num_days_from_monday() as usize]
        };
        shifts.iter().filter_map(move |shift| {
            let end_date = if shift.end <= shift.start {
                date.succ_opt()?
            } else {
                date
            };
            let start = self.resolve(date.and_time(shift.start))?;
            let end = self.resolve(end_date.and_time(shift.end))?;
            (start < end).then_some((start, end))
        })
    }

    /// Turns a local wall-clock time into an instant: an ambiguous time (clocks going back) takes
    /// the earlier instant; a time that does not exist (clocks going forward) moves to the first
    /// minute that does.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let mut t = local;
        for _ in 0..=180 {
            match self.timezone.from_local_datetime(&t) {
                LocalResult::Single(x) => return Some(x.with_timezone(&Utc)),
                LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
                LocalResult::None => t += Duration::minutes(1),
            }
        }
        None
    }

    /// The weekday shifts of one day, for display.
    pub fn shifts_on(&self, day: Weekday) -> &[Shift] {
        &self.weekly[day.num_days_from_monday() as usize]
    }
}

/// Serde helpers for the API's JSON form of business hours.
pub mod serde_value {
    use super::DayHours;
    use serde::{Deserialize, Serialize};

    /// One day's hours as written in JSON: a shift object or a list of them.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct RawDay(pub(super) DayHours);
}

/// The storable form of [`BusinessHours`]: timezone name, days and holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursSpec {
    /// IANA timezone.
    pub timezone: String,
    /// Day name to shift(s).
    #[serde(default)]
    pub days: BTreeMap<String, serde_value::RawDay>,
    /// Closed local dates.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

impl BusinessHoursSpec {
    /// Validates the spec into business hours.
    ///
    /// # Errors
    /// [`HoursError`] for an unknown timezone, day or an empty shift.
    pub fn build(&self) -> Result<BusinessHours, HoursError> {
        let tz = parse_timezone(&self.timezone)?;
        BusinessHours::from_json_days(tz, &self.days, self.holidays.iter().copied())
    }
}

impl From<&BusinessHours> for BusinessHoursSpec {
    fn from(h: &BusinessHours) -> Self {
        Self {
            timezone: h.timezone.name().to_owned(),
            days: h
                .days()
                .into_iter()
                .map(|(k, v)| {
                    let raw = if v.len() == 1 {
                        DayHours::One(v[0])
                    } else {
                        DayHours::Many(v)
                    };
                    (k, serde_value::RawDay(raw))
                })
                .collect(),
            holidays: h.holidays.iter().copied().collect(),
        }
    }
}

impl Serialize for BusinessHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BusinessHoursSpec::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for BusinessHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BusinessHoursSpec::deserialize(d)?
            .build()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
