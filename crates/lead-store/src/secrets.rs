//! Tenant secrets encrypted at rest: every string under a secret-named key of a tenant's settings
//! (`auth_token`, `api_key`, `access_token`, `secret`, `password`, ...) is stored as
//! `enc:v1:<key id>:<base64 of nonce and AES-256-GCM ciphertext>`, authenticated together with the
//! tenant's id so a value copied to another tenant's row does not decrypt.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Object keys whose string values are secrets, at any depth of a tenant's settings.
pub const SECRET_FIELDS: &[&str] = &[
    "auth_token",
    "api_key",
    "access_token",
    "refresh_token",
    "secret",
    "password",
    "client_secret",
    "signing_secret",
    "webhook_secret",
];

const PREFIX: &str = "enc:v1:";
const NONCE_LEN: usize = 12;

/// Why a secret could not be read or a key not loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key is not 32 bytes of standard base64.
    #[error("a secret key must be 32 bytes in standard base64")]
    BadKey,
    /// A value was sealed under a key this keyring does not hold.
    #[error(
        "a secret was encrypted under key {0}, which is not configured (SECRET_KEY or SECRET_KEY_PREVIOUS)"
    )]
    UnknownKey(String),
    /// A sealed value is malformed or failed authentication.
    #[error("a stored secret is damaged or belongs to another tenant")]
    Damaged,
    /// A sealed value was found but no keyring is configured.
    #[error("a stored secret is encrypted but no secret key is configured")]
    NoKeyring,
}

/// One 256-bit key with its short id (the first 8 hex digits of its SHA-256).
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    /// Reads a key from its base64 text (`SECRET_KEY`).
    ///
    /// # Errors
    /// [`SecretError::BadKey`] unless the text decodes to exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SecretError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    /// Builds a key from 32 raw bytes.
    ///
    /// # Errors
    /// [`SecretError::BadKey`] for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() != 32 {
            return Err(SecretError::BadKey);
        }
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let array: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(array));
        Ok(Self { id, cipher })
    }

    /// A fresh random key in base64, for a key file or an operator's `SECRET_KEY`.
    pub fn generate_base64() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        STANDARD.encode(bytes)
    }

    /// The key's id, stored beside every value it seals.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The key that seals new values and the older keys still accepted for reading.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl Keyring {
    /// A keyring sealing with `current` and also opening values sealed with `previous`.
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Self {
        Self { current, previous }
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    fn key(&self, id: &str) -> Option<&SecretKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }

    /// Encrypts one value for `tenant`.
    pub fn seal(&self, tenant: Uuid, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self.current.cipher.encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: tenant.as_bytes(),
            },
        );
        // AES-GCM encryption fails only for messages beyond 64 GiB.
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed.unwrap_or_default());
        format!("{PREFIX}{}:{}", self.current.id, STANDARD.encode(bytes))
    }

    /// Decrypts one value sealed for `tenant`; returns `None` for a value that is not sealed.
    ///
    /// # Errors
    /// [`SecretError`] when the key is unknown or the value fails authentication.
    pub fn open(&self, tenant: Uuid, stored: &str) -> Result<Option<String>, SecretError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(None);
        };
        let (id, body) = rest.split_once(':').ok_or(SecretError::Damaged)?;
        let key = self
            .key(id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?;
        let bytes = STANDARD.decode(body).map_err(|_| SecretError::Damaged)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Damaged);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SecretError::Damaged)?;
        let plain = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: tenant.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Damaged)?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| SecretError::Damaged)
    }

    /// Whether `stored` is sealed under a key other than the current one.
    fn is_stale(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id != self.current.id)
    }
}

/// Whether a stored string is an encrypted secret.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

/// Visits every secret string of a settings document.
fn walk(
    value: &mut Value,
    visit: &mut dyn FnMut(&mut String) -> Result<(), SecretError>,
) -> Result<(), SecretError> {
    match value {
        Value::Object(map) => {
            for (name, child) in map.iter_mut() {
                match child {
                    Value::String(text) if is_secret_field(name) => visit(text)?,
                    _ => walk(child, visit)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| walk(item, visit)),
        _ => Ok(()),
    }
}

/// Encrypts every secret string of `settings` that is not already sealed; without a keyring the
/// document is stored as it is.
pub fn seal_settings(keyring: Option<&Arc<Keyring>>, tenant: Uuid, settings: &mut Value) {
    let Some(keyring) = keyring else {
        return;
    };
    let _ = walk(settings, &mut |text| {
        if !is_sealed(text) && !text.is_empty() {
            *text = keyring.seal(tenant, text);
        }
        Ok(())
    });
}

/// Decrypts every sealed secret string of `settings` in place.
///
/// # Errors
/// [`SecretError`] when a sealed value cannot be opened (no keyring, unknown key, damage).
pub fn open_settings(
    keyring: Option<&Arc<Keyring>>,
    tenant: Uuid,
    settings: &mut Value,
) -> Result<(), SecretError> {
    walk(settings, &mut |text| {
        if !is_sealed(text) {
            return Ok(());
        }
        let keyring = keyring.ok_or(SecretError::NoKeyring)?;
        if let Some(plain) = keyring.open(tenant, text)? {
            *text = plain;
        }
        Ok(())
    })
}

/// Re-encrypts under the current key every secret sealed under an older key, and seals any plain
/// one; returns whether anything changed.
///
/// # Errors
/// [`SecretError`] when a sealed value cannot be opened.
pub fn reseal_settings(
    keyring: &Keyring,
    tenant: Uuid,
    settings: &mut Value,
) -> Result<bool, SecretError> {
    let mut changed = false;
    walk(settings, &mut |text| {
        if text.is_empty() || (is_sealed(text) && !keyring.is_stale(text)) {
            return Ok(());
        }
        let plain = match keyring.open(tenant, text)? {
            Some(plain) => plain,
            None => text.clone(),
        };
        *text = keyring.seal(tenant, &plain);
        changed = true;
        Ok(())
    })?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keyring() -> Keyring {
        Keyring::new(SecretKey::from_bytes(&[7u8; 32]).unwrap(), Vec::new())
    }

    #[test]
    fn settings_round_trip_and_hide_every_secret() {
        let ring = Arc::new(keyring());
        let tenant = Uuid::from_u128(1);
        let original = json!({
            "industry": "dental_clinic",
            "twilio": {"account_sid": "AC1", "auth_token": "tok-123"},
            "notifications": {"webhooks": [{"url": "https://x", "secret": "whsec_abc"}]},
            "crm": {"access_token": "pat-9"}
        });
        let mut stored = original.clone();
        seal_settings(Some(&ring), tenant, &mut stored);
        let text = stored.to_string();
        for secret in ["tok-123", "whsec_abc", "pat-9"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert!(text.contains("AC1"), "non-secret fields stay readable");
        open_settings(Some(&ring), tenant, &mut stored).unwrap();
        assert_eq!(stored, original);
    }

    #[test]
    fn another_tenant_cannot_open_a_copied_value() {
        let ring = keyring();
        let sealed = ring.seal(Uuid::from_u128(1), "tok");
        assert!(matches!(
            ring.open(Uuid::from_u128(2), &sealed),
            Err(SecretError::Damaged)
        ));
    }

    #[test]
    fn rotation_reads_old_values_and_reseals_them_under_the_new_key() {
        let old = SecretKey::from_bytes(&[1u8; 32]).unwrap();
        let new = SecretKey::from_bytes(&[2u8; 32]).unwrap();
        let tenant = Uuid::from_u128(5);
        let before = Arc::new(Keyring::new(old.clone(), Vec::new()));
        let mut stored = json!({"twilio": {"auth_token": "tok"}});
        seal_settings(Some(&before), tenant, &mut stored);
        let new_only = Keyring::new(new.clone(), Vec::new());
        assert!(matches!(
            open_settings(
                Some(&Arc::new(new_only.clone())),
                tenant,
                &mut stored.clone()
            ),
            Err(SecretError::UnknownKey(_))
        ));
        let both = Keyring::new(new, vec![old]);
        assert!(reseal_settings(&both, tenant, &mut stored).unwrap());
        assert!(!reseal_settings(&both, tenant, &mut stored).unwrap());
        open_settings(Some(&Arc::new(new_only)), tenant, &mut stored).unwrap();
        assert_eq!(stored, json!({"twilio": {"auth_token": "tok"}}));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(SecretKey::from_base64("c2hvcnQ=").is_err());
        let generated = SecretKey::generate_base64();
        assert_eq!(SecretKey::from_base64(&generated).unwrap().id().len(), 8);
    }

    #[test]
    fn sealed_values_without_a_keyring_are_an_error_not_a_leak() {
        let ring = Arc::new(keyring());
        let tenant = Uuid::from_u128(1);
        let mut stored = json!({"api_key": "k"});
        seal_settings(Some(&ring), tenant, &mut stored);
        assert!(matches!(
            open_settings(None, tenant, &mut stored),
            Err(SecretError::NoKeyring)
        ));
    }
}
