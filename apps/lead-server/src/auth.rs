//! Authentication: the platform admin bearer token (argon2, verified once per process) and tenant
//! API keys (SHA-256 lookup with a short in-memory cache), as actix extractors.

use crate::error::ApiError;
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;
use lead_domain::ids::TenantId;
use lead_domain::tenant::{ApiKeyRecord, Tenant};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The header tenants authenticate with.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// Prefix of every tenant API key, so leaked keys are recognisable by secret scanners.
pub const API_KEY_PREFIX: &str = "lk_";

/// Name of the file, in the data directory, holding the argon2 hash of a generated admin token.
pub const ADMIN_HASH_FILE: &str = "admin-token.argon2";

/// Lower-case hex SHA-256 of a secret: how API keys are stored and looked up.
pub fn sha256_hex(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A freshly generated tenant API key: the secret (shown once) and the record to store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// `lk_` followed by 43 base64url characters (256 random bits).
    pub secret: String,
    /// Hash and prefix.
    pub record: ApiKeyRecord,
}

/// Generates a random tenant API key issued at `now`.
pub fn generate_api_key(now: DateTime<Utc>) -> NewApiKey {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let record = ApiKeyRecord {
        hash: sha256_hex(&secret),
        prefix: secret.chars().take(10).collect(),
        created_at: now,
        expires_at: None,
    };
    NewApiKey { secret, record }
}

/// Why the admin credential could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AdminSetupError {
    /// The hash file could not be read or written.
    #[error("admin token file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Hashing failed or the stored hash is unreadable.
    #[error("admin token hash: {0}")]
    Hash(String),
}

enum AdminSecret {
    /// The configured token's SHA-256, compared in constant time.
    Configured([u8; 32]),
    /// The argon2 PHC string of a generated token.
    Argon2(String),
}

/// Checks the platform admin's bearer token.
///
/// A configured `ADMIN_TOKEN` is compared by SHA-256 in constant time. A generated token is
/// stored only as an argon2 hash; the first correct presentation is verified with argon2 and its
/// SHA-256 cached, so argon2 runs once per process rather than on every request.
pub struct AdminAuthority {
    secret: AdminSecret,
    verified: RwLock<Option<[u8; 32]>>,
}

/// What [`AdminAuthority::initialise`] did, so the caller can print a generated token once.
pub struct AdminSetup {
    /// The authority.
    pub authority: AdminAuthority,
    /// The token generated at this start, to print once; `None` when configured or already stored.
    pub generated_token: Option<String>,
}

impl AdminAuthority {
    /// Uses the configured token, else the stored hash in `data_dir`, else generates a token and stores its hash.
    ///
    /// # Errors
    /// [`AdminSetupError`] when the hash file cannot be read or written.
    pub fn initialise(
        configured: Option<&str>,
        data_dir: &Path,
    ) -> Result<AdminSetup, AdminSetupError> {
        if let Some(token) = configured {
            return Ok(AdminSetup {
                authority: Self::configured(token),
                generated_token: None,
            });
        }
        let path = data_dir.join(ADMIN_HASH_FILE);
        match std::fs::read_to_string(&path) {
            Ok(phc) => {
                let phc = phc.trim().to_owned();
                PasswordHash::new(&phc).map_err(|e| AdminSetupError::Hash(e.to_string()))?;
                Ok(AdminSetup {
                    authority: Self::from_secret(AdminSecret::Argon2(phc)),
                    generated_token: None,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; 32] = rand::random();
                let token = format!("adm_{}", URL_SAFE_NO_PAD.encode(bytes));
                let phc = Argon2::default()
                    .hash_password(token.as_bytes())
                    .map_err(|e| AdminSetupError::Hash(e.to_string()))?
                    .to_string();
                std::fs::create_dir_all(data_dir).map_err(|source| AdminSetupError::Io {
                    path: data_dir.to_owned(),
                    source,
                })?;
                write_private(&path, &phc).map_err(|source| AdminSetupError::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok(AdminSetup {
                    authority: Self::from_secret(AdminSecret::Argon2(phc)),
                    generated_token: Some(token),
                })
            }
            Err(source) => Err(AdminSetupError::Io { path, source }),
        }
    }

    /// An authority for a configured token.
    pub fn configured(token: &str) -> Self {
        Self::from_secret(AdminSecret::Configured(
            Sha256::digest(token.as_bytes()).into(),
        ))
    }

    fn from_secret(secret: AdminSecret) -> Self {
        Self {
            secret,
            verified: RwLock::new(None),
        }
    }

    /// Whether `token` is the admin token.
    pub async fn verify(&self, token: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        match &self.secret {
            AdminSecret::Configured(expected) => bool::from(expected.ct_eq(&presented)),
            AdminSecret::Argon2(phc) => {
                let cached = *self.verified.read().unwrap_or_else(PoisonError::into_inner);
                if let Some(known) = cached {
                    return bool::from(known.ct_eq(&presented));
                }
                let phc = phc.clone();
                let token = token.to_owned();
                // Argon2 is deliberately slow: keep it off the async workers.
                let ok = tokio::task::spawn_blocking(move || {
                    PasswordHash::new(&phc)
                        .map(|hash| {
                            Argon2::default()
                                .verify_password(token.as_bytes(), &hash)
                                .is_ok()
                        })
                        .unwrap_or(false)
                })
                .await
                .unwrap_or(false);
                if ok {
                    *self
                        .verified
                        .write()
                        .unwrap_or_else(PoisonError::into_inner) = Some(presented);
                }
                ok
            }
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

struct CachedTenant {
    tenant: Tenant,
    valid_until: Instant,
}

struct Rotation {
    new_hash: String,
    others_expire_at: DateTime<Utc>,
}

/// Resolved API keys, kept briefly so a busy tenant does not cost a lookup per request.
///
/// Entries live `ttl`; pausing, editing or rotating a tenant drops its entries at once in this
/// instance (other instances see the change within `ttl`). After a rotation with a grace period,
/// old keys are never trusted past the end of the grace period.
pub struct KeyCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, CachedTenant>>,
    rotations: Mutex<HashMap<TenantId, Rotation>>,
}

impl KeyCache {
    /// A cache trusting entries for `ttl`; a zero `ttl` disables caching.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
            rotations: Mutex::new(HashMap::new()),
        }
    }

    /// The cached tenant of a key hash, if still fresh.
    pub fn get(&self, hash: &str) -> Option<Tenant> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(hash)
            .filter(|e| e.valid_until > Instant::now())
            .map(|e| e.tenant.clone())
    }

    /// Remembers a resolved key.
    pub fn put(&self, hash: &str, tenant: &Tenant, now: DateTime<Utc>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut valid_until = Instant::now() + self.ttl;
        let rotations = self
            .rotations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(r) = rotations.get(&tenant.id)
            && r.new_hash != hash
        {
            let left = (r.others_expire_at - now)
                .to_std()
                .unwrap_or(Duration::ZERO);
            valid_until = valid_until.min(Instant::now() + left);
        }
        drop(rotations);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        // A bounded cache: past this many keys, start over rather than grow without limit.
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(
            hash.to_owned(),
            CachedTenant {
                tenant: tenant.clone(),
                valid_until,
            },
        );
    }

    /// Forgets every cached key of a tenant (paused, edited).
    pub fn invalidate(&self, tenant: TenantId) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, e| e.tenant.id != tenant);
    }

    /// Forgets a tenant's keys and bounds the trust in its old keys by the rotation's grace period.
    pub fn rotated(&self, tenant: TenantId, new_hash: &str, others_expire_at: DateTime<Utc>) {
        self.rotations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                tenant,
                Rotation {
                    new_hash: new_hash.to_owned(),
                    others_expire_at,
                },
            );
        self.invalidate(tenant);
    }
}

/// The tenant a request's `X-API-Key` belongs to, after the rate limit was applied.
pub struct TenantAuth(pub Tenant);

impl FromRequest for TenantAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = req
            .headers()
            .get(API_KEY_HEADER)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            let key = match key {
                None => return Err(ApiError::MissingApiKey),
                Some(Err(_)) => return Err(ApiError::InvalidApiKey),
                Some(Ok(k)) if k.trim().is_empty() => return Err(ApiError::MissingApiKey),
                Some(Ok(k)) => k,
            };
            let tenant = resolve_key(&state, key.trim()).await?;
            state.limiter.check(&tenant.id).await?;
            Ok(TenantAuth(tenant))
        })
    }
}

/// Finds the tenant of an API key, through the cache.
///
/// # Errors
/// [`ApiError::InvalidApiKey`] for an unknown or expired key; storage errors.
pub async fn resolve_key(state: &AppState, key: &str) -> Result<Tenant, ApiError> {
    // Keys have a fixed shape; anything else is rejected without touching the database.
    if !key.starts_with(API_KEY_PREFIX) || key.len() > 128 {
        return Err(ApiError::InvalidApiKey);
    }
    let hash = sha256_hex(key);
    if let Some(tenant) = state.keys.get(&hash) {
        return Ok(tenant);
    }
    let now = state.deps.clock.now();
    let tenant = state
        .deps
        .tenants
        .find_tenant_by_api_key(&hash, now)
        .await?
        .ok_or(ApiError::InvalidApiKey)?;
    state.keys.put(&hash, &tenant, now);
    Ok(tenant)
}

/// Proof that the request carries the platform admin token.
pub struct AdminAuth;

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned));
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            let token = match header {
                None => return Err(ApiError::MissingAdminToken),
                Some(Err(_)) => return Err(ApiError::InvalidAdminToken),
                Some(Ok(h)) => match h.split_once(' ') {
                    Some((scheme, token))
                        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
                    {
                        token.trim().to_owned()
                    }
                    _ => return Err(ApiError::MissingAdminToken),
                },
            };
            if state.admin.verify(&token).await {
                Ok(AdminAuth)
            } else {
                Err(ApiError::InvalidAdminToken)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape_and_hash() {
        let key = generate_api_key(DateTime::<Utc>::UNIX_EPOCH);
        assert!(key.secret.starts_with("lk_"));
        assert_eq!(key.secret.len(), 3 + 43);
        assert_eq!(key.record.hash, sha256_hex(&key.secret));
        assert_eq!(key.record.hash.len(), 64);
        assert_ne!(
            generate_api_key(DateTime::<Utc>::UNIX_EPOCH).secret,
            key.secret
        );
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn configured_admin_token_is_compared_exactly() {
        let admin = AdminAuthority::configured("a-long-admin-token-123");
        assert!(admin.verify("a-long-admin-token-123").await);
        assert!(!admin.verify("a-long-admin-token-124").await);
        assert!(!admin.verify("").await);
    }

    #[tokio::test]
    async fn generated_admin_token_is_stored_as_argon2_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let setup = AdminAuthority::initialise(None, dir.path()).expect("setup");
        let token = setup.generated_token.clone().expect("generated");
        let stored = std::fs::read_to_string(dir.path().join(ADMIN_HASH_FILE)).expect("hash file");
        assert!(stored.starts_with("$argon2"));
        assert!(!stored.contains(&token));
        assert!(!setup.authority.verify("wrong").await);
        assert!(setup.authority.verify(&token).await);
        // A restart reads the hash and generates nothing new.
        let again = AdminAuthority::initialise(None, dir.path()).expect("setup again");
        assert!(again.generated_token.is_none());
        assert!(again.authority.verify(&token).await);
        assert!(!again.authority.verify("wrong").await);
    }
}
