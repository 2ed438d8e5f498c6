//! People of a tenant who work leads in the sales inbox: users with roles, their sign-in sessions,
//! the throttle on failed sign-ins, and the port that stores them.
//!
//! Passwords are hashed by an adapter behind [`PasswordHasher`]; session tokens are random values
//! made by the app, of which only a hash is stored, so a copy of the database signs nobody in.

use crate::ids::TenantId;
use crate::language::Language;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Identifies a user across tenants (emails are unique across the service, so sign-in needs no tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(Uuid);

impl UserId {
    /// Wraps a UUID that already identifies a user.
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The UUID behind the id, for storage and wire formats.
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a user may do: owners also change the tenant's settings and users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the account: settings, users, usage, and everything an agent does.
    Owner,
    /// Works leads: reads, takes over, replies, releases, edits.
    Agent,
}

impl Role {
    /// The wire name (`owner`, `agent`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Some(Role::Owner),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// A person who signs in to a tenant's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// The tenant whose leads the user sees; never another's.
    pub tenant_id: TenantId,
    /// Sign-in name, lower-cased, unique across the service.
    pub email: String,
    /// Shown in the inbox and recorded with the actions the user takes.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The language of the interface the user chose.
    pub language: Language,
    /// The password's PHC hash string; never shown.
    pub password_hash: String,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// How the user is named in escalation and release records ("user:ana@example.com").
    pub fn actor(&self) -> String {
        format!("user:{}", self.email)
    }
}

/// A signed-in browser: found by the hash of its cookie's token, ended by inactivity or sign-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's random token.
    pub token_hash: String,
    /// Who.
    pub user_id: UserId,
    /// Their tenant.
    pub tenant_id: TenantId,
    /// The token every state-changing form must carry (double submit is not enough for a cookie
    /// that a sibling sub-domain could set, so the token lives with the session).
    pub csrf_token: String,
    /// Signed in at.
    pub created_at: DateTime<Utc>,
    /// Last request; the session ends [`SESSION_IDLE`] after it.
    pub last_seen_at: DateTime<Utc>,
}

/// How long a session lives without a request.
pub const SESSION_IDLE: Duration = Duration::hours(8);

/// How often a session's last-seen time is written at most, so reading a page rarely writes.
pub const SESSION_TOUCH_EVERY: Duration = Duration::minutes(1);

impl Session {
    /// Whether the session has ended by inactivity at `now`, given the idle limit.
    pub fn expired(&self, now: DateTime<Utc>, idle: Duration) -> bool {
        now - self.last_seen_at >= idle
    }

    /// Whether the last-seen time is old enough to be written again.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= SESSION_TOUCH_EVERY
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a user could not be created or a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserInputError {
    /// The email is not an address.
    #[error("email: not an email address")]
    Email,
    /// The name is empty or too long.
    #[error("name: between 1 and 200 characters")]
    Name,
    /// The password is too short or too long.
    #[error("password: between {MIN_PASSWORD_CHARS} and {MAX_PASSWORD_CHARS} characters")]
    Password,
}

impl UserInputError {
    /// The request field the error is about.
    pub const fn field(&self) -> &'static str {
        match self {
            UserInputError::Email => "email",
            UserInputError::Name => "name",
            UserInputError::Password => "password",
        }
    }
}

/// Normalises a sign-in email (trimmed, lower-cased) and checks its shape.
///
/// # Errors
/// [`UserInputError::Email`] when it is not `local@domain.tld`-shaped.
pub fn normalise_email(raw: &str) -> Result<String, UserInputError> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or(UserInputError::Email)?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@');
    if ok {
        Ok(email)
    } else {
        Err(UserInputError::Email)
    }
}

/// Checks a new password's length in characters.
///
/// # Errors
/// [`UserInputError::Password`] when outside the bounds.
pub fn check_password(password: &str) -> Result<(), UserInputError> {
    let n = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(UserInputError::Password)
    }
}

/// How failed sign-ins slow the next try, per account and per address alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInThrottle {
    /// Failures counted over this window.
    pub window: Duration,
    /// Failures allowed in the window before tries are refused.
    pub free_failures: u32,
    /// How long tries stay refused after the last failure once over the limit.
    pub lockout: Duration,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            free_failures: 5,
            lockout: Duration::minutes(15),
        }
    }
}

impl SignInThrottle {
    /// How long the caller must wait before another try, given the failures in the window and the
    /// time of the latest; `None` when a try is allowed now. The wait grows with the failures over
    /// the limit (doubling, capped at the lockout).
    pub fn wait(
        &self,
        failures: u32,
        latest: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        if failures < self.free_failures {
            return None;
        }
        let over = failures - self.free_failures;
        let step = Duration::seconds(30)
            .checked_mul(1_i32 << over.min(10))
            .unwrap_or(self.lockout)
            .min(self.lockout);
        let until = latest? + step;
        (until > now).then(|| until - now)
    }
}

/// One side of sign-in throttling: the account tried or the address tried from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ThrottleKey {
    /// An email (whether or not a user has it, so probing unknown emails is slowed too).
    Account(String),
    /// A client IP address.
    Address(String),
}

impl ThrottleKey {
    /// The stored form (`account:ana@example.com`, `address:203.0.113.9`).
    pub fn key(&self) -> String {
        match self {
            ThrottleKey::Account(e) => format!("account:{e}"),
            ThrottleKey::Address(a) => format!("address:{a}"),
        }
    }
}

/// Failed sign-ins of one key inside a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureCount {
    /// How many.
    pub count: u32,
    /// When the latest was.
    pub latest: Option<DateTime<Utc>>,
}

/// Stores users, sessions and failed sign-ins. Shared by every instance of the service, so a
/// session started on one instance is valid on all.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the email is taken.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;

    /// Users of a tenant, by name.
    ///
    /// # Errors
    /// On database failure.
    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError>;

    /// A user of a tenant.
    ///
    /// # Errors
    /// On database failure.
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>, StoreError>;

    /// The user with a (normalised) email, whatever the tenant: sign-in.
    ///
    /// # Errors
    /// On database failure.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;

    /// Removes a user and their sessions; returns whether one was removed.
    ///
    /// # Errors
    /// On database failure.
    async fn delete_user(&self, tenant: TenantId, id: UserId) -> Result<bool, StoreError>;

    /// Saves the interface language a user chose.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when the user does not exist.
    async fn set_user_language(
        &self,
        tenant: TenantId,
        id: UserId,
        language: Language,
    ) -> Result<(), StoreError>;

    /// Stores a new session.
    ///
    /// # Errors
    /// On database failure.
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session with this token hash, with its user.
    ///
    /// # Errors
    /// On database failure.
    async fn find_session(&self, token_hash: &str) -> Result<Option<(Session, User)>, StoreError>;

    /// Records a request on a session (inactivity counts from here).
    ///
    /// # Errors
    /// On database failure.
    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Ends a session.
    ///
    /// # Errors
    /// On database failure.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Removes sessions idle since before `before`; returns how many.
    ///
    /// # Errors
    /// On database failure.
    async fn delete_idle_sessions(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Removes failed sign-ins recorded before `before` (older than any throttle looks back);
    /// returns how many.
    ///
    /// # Errors
    /// On database failure.
    async fn delete_sign_in_failures_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Records a failed sign-in for a key.
    ///
    /// # Errors
    /// On database failure.
    async fn record_sign_in_failure(
        &self,
        key: &ThrottleKey,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Failed sign-ins of a key since `since`.
    ///
    /// # Errors
    /// On database failure.
    async fn sign_in_failures(
        &self,
        key: &ThrottleKey,
        since: DateTime<Utc>,
    ) -> Result<FailureCount, StoreError>;

    /// The client with a slug, so an operator can name it rather than copy its id.
    ///
    /// # Errors
    /// On database failure.
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantId>, StoreError>;

    /// Forgets a key's failures (after a successful sign-in of the account).
    ///
    /// # Errors
    /// On database failure.
    async fn clear_sign_in_failures(&self, key: &ThrottleKey) -> Result<(), StoreError>;
}

/// Hashes and checks passwords; the adapter picks the algorithm (argon2 in the service) and keeps
/// the deliberately slow work off the request threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// The PHC hash string of a password, with a fresh salt.
    ///
    /// # Errors
    /// A message when hashing failed.
    async fn hash(&self, password: &str) -> Result<String, String>;

    /// Whether the password matches the hash, in time that does not depend on where they differ.
    async fn verify(&self, password: &str, hash: &str) -> bool;

    /// Spends the time of one verification on nothing, so a sign-in with an unknown email takes
    /// as long as one with a wrong password.
    async fn waste_one_verification(&self, password: &str);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0)
            .single()
            .unwrap_or_default()
            + Duration::minutes(min)
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Ana@Example.COM ").as_deref(),
            Ok("ana@example.com")
        );
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
        ] {
            assert_eq!(normalise_email(bad), Err(UserInputError::Email), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_length_in_characters() {
        assert_eq!(check_password("short"), Err(UserInputError::Password));
        assert_eq!(check_password("correct horse battery"), Ok(()));
        // Twelve Arabic letters are twelve characters, not 24 bytes.
        assert_eq!(check_password("كلمةسرطويلةج"), Ok(()));
        assert_eq!(check_password("كلمةسرطويل"), Err(UserInputError::Password));
    }

    #[test]
    fn throttle_lets_the_first_failures_through_then_waits_longer_each_time() {
        let t = SignInThrottle::default();
        assert_eq!(t.wait(4, Some(at(0)), at(0)), None);
        assert_eq!(t.wait(5, Some(at(0)), at(0)), Some(Duration::seconds(30)));
        assert_eq!(t.wait(6, Some(at(0)), at(0)), Some(Duration::seconds(60)));
        assert_eq!(t.wait(5, Some(at(0)), at(1)), None);
        assert_eq!(t.wait(40, Some(at(0)), at(0)), Some(Duration::minutes(15)));
    }

    #[test]
    fn sessions_expire_after_inactivity_only() {
        let s = Session {
            token_hash: "h".into(),
            user_id: UserId::from_uuid(Uuid::nil()),
            tenant_id: TenantId::from_uuid(Uuid::nil()),
            csrf_token: "c".into(),
            created_at: at(0),
            last_seen_at: at(60),
        };
        assert!(!s.expired(at(60 + 479), SESSION_IDLE));
        assert!(s.expired(at(60 + 480), SESSION_IDLE));
        assert!(!s.needs_touch(at(60)));
        assert!(s.needs_touch(at(61)));
    }
}
