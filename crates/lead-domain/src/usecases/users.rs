//! Users of a tenant and their sessions: create, list, remove, sign in (throttled, equal cost for
//! unknown emails), resolve a session (inactivity expiry), sign out, choose a language.

use crate::ids::TenantId;
use crate::language::Language;
use crate::ports::{Clock, IdGenerator, StoreError};
use crate::users::{
    PasswordHasher, Role, SESSION_IDLE, Session, SignInThrottle, ThrottleKey, User, UserId,
    UserInputError, UserRepository, check_password, normalise_email,
};
use chrono::Duration;

/// The adapters the account use cases run on.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    /// Users and sessions.
    pub users: &'a dyn UserRepository,
    /// Password hashing.
    pub hasher: &'a dyn PasswordHasher,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Ids.
    pub ids: &'a dyn IdGenerator,
    /// How failed sign-ins are slowed.
    pub throttle: SignInThrottle,
    /// How long a session lives without a request.
    pub idle: Duration,
}

impl<'a> Accounts<'a> {
    /// Accounts with the default throttle and idle limit.
    pub fn new(
        users: &'a dyn UserRepository,
        hasher: &'a dyn PasswordHasher,
        clock: &'a dyn Clock,
        ids: &'a dyn IdGenerator,
    ) -> Self {
        Self {
            users,
            hasher,
            clock,
            ids,
            throttle: SignInThrottle::default(),
            idle: SESSION_IDLE,
        }
    }
}

/// Why an account use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field of the request is not acceptable.
    #[error(transparent)]
    Input(#[from] UserInputError),
    /// Another user has this email.
    #[error("a user with this email exists")]
    EmailTaken,
    /// The user does not exist in this tenant.
    #[error("user not found")]
    NotFound,
    /// Wrong email or password (which one is not said).
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many failed sign-ins: try again after the wait.
    #[error("too many failed sign-ins; try again in {} seconds", .0.num_seconds().max(1))]
    Throttled(Duration),
    /// The password could not be hashed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Store(e)
    }
}

/// What a new user is made of, as a form or the API gives it.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Password, checked for length and hashed.
    pub password: String,
    /// Interface language; English by default.
    pub language: Option<Language>,
}

/// Creates a user of a tenant.
///
/// # Errors
/// [`AccountError::Input`] for a bad email, name or password; [`AccountError::EmailTaken`];
/// storage and hashing failures.
pub async fn create_user(
    accounts: Accounts<'_>,
    tenant: TenantId,
    new: NewUser,
) -> Result<User, AccountError> {
    let email = normalise_email(&new.email)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(UserInputError::Name.into());
    }
    check_password(&new.password)?;
    let password_hash = accounts
        .hasher
        .hash(&new.password)
        .await
        .map_err(AccountError::Hash)?;
    let user = User {
        id: UserId::from_uuid(accounts.ids.new_uuid()),
        tenant_id: tenant,
        email,
        name,
        role: new.role,
        language: new.language.unwrap_or_default(),
        password_hash,
        created_at: accounts.clock.now(),
    };
    match accounts.users.insert_user(&user).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Removes a user of a tenant and ends their sessions.
///
/// # Errors
/// [`AccountError::NotFound`] when the tenant has no such user; storage failures.
pub async fn delete_user(
    accounts: Accounts<'_>,
    tenant: TenantId,
    id: UserId,
) -> Result<(), AccountError> {
    if accounts.users.delete_user(tenant, id).await? {
        Ok(())
    } else {
        Err(AccountError::NotFound)
    }
}

/// A sign-in attempt: the form's fields, where it came from, and the session secrets the app drew.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// The client's address, for per-address throttling.
    pub address: String,
    /// Hash of the new session's cookie token.
    pub token_hash: String,
    /// The new session's CSRF token.
    pub csrf_token: String,
}

/// Signs a user in: refused while the account or the address is throttled; a wrong password and
/// an unknown email cost the same time and count against both; success clears the account's
/// failures and stores a session.
///
/// # Errors
/// [`AccountError::Throttled`], [`AccountError::BadCredentials`], storage failures.
pub async fn sign_in(
    accounts: Accounts<'_>,
    attempt: SignIn,
) -> Result<(Session, User), AccountError> {
    let now = accounts.clock.now();
    let email =
        normalise_email(&attempt.email).unwrap_or_else(|_| attempt.email.trim().to_lowercase());
    let keys = [
        ThrottleKey::Account(email.clone()),
        ThrottleKey::Address(attempt.address.clone()),
    ];
    let since = now - accounts.throttle.window;
    for key in &keys {
        let failures = accounts.users.sign_in_failures(key, since).await?;
        if let Some(wait) = accounts.throttle.wait(failures.count, failures.latest, now) {
            return Err(AccountError::Throttled(wait));
        }
    }
    let user = accounts.users.find_user_by_email(&email).await?;
    let verified = match &user {
        Some(u) => {
            accounts
                .hasher
                .verify(&attempt.password, &u.password_hash)
                .await
        }
        None => {
            accounts
                .hasher
                .waste_one_verification(&attempt.password)
                .await;
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        for key in &keys {
            accounts.users.record_sign_in_failure(key, now).await?;
        }
        return Err(AccountError::BadCredentials);
    };
    accounts.users.clear_sign_in_failures(&keys[0]).await?;
    let session = Session {
        token_hash: attempt.token_hash,
        user_id: user.id,
        tenant_id: user.tenant_id,
        csrf_token: attempt.csrf_token,
        created_at: now,
        last_seen_at: now,
    };
    accounts.users.insert_session(&session).await?;
    Ok((session, user))
}

/// The live session of a cookie token hash with its user: `None` when unknown or idle too long
/// (an idle session is removed). The last-seen time is written at most once a minute.
///
/// # Errors
/// Storage failures.
pub async fn resolve_session(
    accounts: Accounts<'_>,
    token_hash: &str,
) -> Result<Option<(Session, User)>, AccountError> {
    let now = accounts.clock.now();
    let Some((mut session, user)) = accounts.users.find_session(token_hash).await? else {
        return Ok(None);
    };
    if session.expired(now, accounts.idle) {
        accounts.users.delete_session(token_hash).await?;
        return Ok(None);
    }
    if session.needs_touch(now) {
        accounts.users.touch_session(token_hash, now).await?;
        session.last_seen_at = now;
    }
    Ok(Some((session, user)))
}

/// Ends a session.
///
/// # Errors
/// Storage failures.
pub async fn sign_out(accounts: Accounts<'_>, token_hash: &str) -> Result<(), AccountError> {
    accounts.users.delete_session(token_hash).await?;
    Ok(())
}

/// Saves the interface language a user chose.
///
/// # Errors
/// Storage failures.
pub async fn choose_language(
    accounts: Accounts<'_>,
    user: &User,
    language: Language,
) -> Result<(), AccountError> {
    accounts
        .users
        .set_user_language(user.tenant_id, user.id, language)
        .await?;
    Ok(())
}

/// What one housekeeping pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Sessions idle longer than the idle limit.
    pub sessions: u64,
    /// Failed sign-ins older than the throttle looks back.
    pub sign_in_failures: u64,
}

/// Removes idle sessions and failed sign-ins no throttle counts any more, so neither table grows
/// without bound; run periodically.
///
/// # Errors
/// Storage failures (the next pass tries again).
pub async fn sweep(accounts: Accounts<'_>) -> Result<Swept, StoreError> {
    let now = accounts.clock.now();
    let sessions = accounts
        .users
        .delete_idle_sessions(now - accounts.idle)
        .await?;
    let kept = accounts.throttle.window.max(accounts.throttle.lockout);
    let sign_in_failures = accounts
        .users
        .delete_sign_in_failures_before(now - kept)
        .await?;
    Ok(Swept {
        sessions,
        sign_in_failures,
    })
}
