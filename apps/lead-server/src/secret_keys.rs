//! The keys that encrypt tenant secrets at rest: `SECRET_KEY` (with `SECRET_KEY_PREVIOUS` during
//! a rotation) or, for the embedded default, a key generated once into the data directory (0600).

use crate::config::Settings;
use lead_store::secrets::{Keyring, SecretKey};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The key file's name in the data directory when `SECRET_KEY` is not set: one base64 key per
/// line, the first sealing new values.
pub const KEY_FILE: &str = "secret.key";

fn key_file(settings: &Settings) -> PathBuf {
    settings.data_dir.join(KEY_FILE)
}

fn parse_keys(text: &str, source: &str) -> anyhow::Result<Vec<SecretKey>> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| SecretKey::from_base64(line).map_err(|e| anyhow::anyhow!("{source}: {e}")))
        .collect()
}

fn read_key_file(path: &Path) -> anyhow::Result<Option<Vec<SecretKey>>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let keys = parse_keys(&text, &path.display().to_string())?;
            if keys.is_empty() {
                anyhow::bail!("{} holds no key", path.display());
            }
            Ok(Some(keys))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    }
}

/// How a key file is put in place.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Only if no key file exists yet (several processes starting at once keep the first).
    New,
    /// Replacing the file atomically (a rotation).
    Replace,
}

/// Writes the key file readable by the service user only; returns whether it was put in place.
fn write_key_file(path: &Path, keys: &[String], place: Place) -> anyhow::Result<bool> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    }
    let temp = path.with_extension(format!("key.{}.new", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temp)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", temp.display()))?;
    for key in keys {
        writeln!(file, "{key}").map_err(|e| anyhow::anyhow!("writing {}: {e}", temp.display()))?;
    }
    file.sync_all()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", temp.display()))?;
    let placed = match place {
        Place::Replace => std::fs::rename(&temp, path)
            .map(|()| true)
            .map_err(|e| anyhow::anyhow!("replacing {}: {e}", path.display())),
        Place::New => match std::fs::hard_link(&temp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(anyhow::anyhow!("creating {}: {e}", path.display())),
        },
    };
    let _ = std::fs::remove_file(&temp);
    placed
}

fn configured(settings: &Settings) -> anyhow::Result<Option<Keyring>> {
    let Some(current) = &settings.secret_key else {
        return Ok(None);
    };
    let current =
        SecretKey::from_base64(current.expose()).map_err(|e| anyhow::anyhow!("SECRET_KEY: {e}"))?;
    let previous = match &settings.secret_key_previous {
        Some(previous) => parse_keys(previous.expose(), "SECRET_KEY_PREVIOUS")?,
        None => Vec::new(),
    };
    Ok(Some(Keyring::new(current, previous)))
}

/// The keyring the store seals tenant secrets with.
///
/// # Errors
/// When a configured key is not 32 bytes of base64, or the key file cannot be read or written.
pub fn keyring(settings: &Settings) -> anyhow::Result<Arc<Keyring>> {
    if let Some(ring) = configured(settings)? {
        return Ok(Arc::new(ring));
    }
    let path = key_file(settings);
    let keys = match read_key_file(&path)? {
        Some(keys) => keys,
        None => {
            let key = SecretKey::generate_base64();
            if write_key_file(&path, std::slice::from_ref(&key), Place::New)? {
                tracing::warn!(
                    path = %path.display(),
                    "SECRET_KEY is not set: generated a key for tenant secrets in the data \
                     directory; set SECRET_KEY when several instances share the database"
                );
            }
            read_key_file(&path)?.ok_or_else(|| anyhow::anyhow!("{} vanished", path.display()))?
        }
    };
    let mut keys = keys.into_iter();
    let current = keys
        .next()
        .ok_or_else(|| anyhow::anyhow!("{} holds no key", path.display()))?;
    Ok(Arc::new(Keyring::new(current, keys.collect())))
}

/// How `admin rotate-secret-key` re-encrypts: under `SECRET_KEY` (reading old values with
/// `SECRET_KEY_PREVIOUS`), or, with the generated key file, under a new key it adds to the file
/// first and keeps alone once every tenant is re-encrypted.
pub enum Rotation {
    /// The operator set the new key in `SECRET_KEY`.
    Configured(Arc<Keyring>),
    /// A new key was generated into the key file, before the old ones.
    KeyFile {
        /// The keyring with the new key current and the old ones readable.
        keyring: Arc<Keyring>,
        /// The new key, which alone stays in the file at the end.
        new_key: String,
        /// Where the file is.
        path: PathBuf,
    },
}

impl Rotation {
    /// Prepares a rotation from the settings.
    ///
    /// # Errors
    /// Bad keys, or a key file that cannot be read or written.
    pub fn prepare(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(ring) = configured(settings)? {
            return Ok(Self::Configured(Arc::new(ring)));
        }
        let path = key_file(settings);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let new_key = SecretKey::generate_base64();
        let mut lines = vec![new_key.clone()];
        lines.extend(
            old.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
        let keys = parse_keys(&lines.join("\n"), &path.display().to_string())?;
        write_key_file(&path, &lines, Place::Replace)?;
        let mut keys = keys.into_iter();
        let current = keys
            .next()
            .ok_or_else(|| anyhow::anyhow!("no key was generated"))?;
        Ok(Self::KeyFile {
            keyring: Arc::new(Keyring::new(current, keys.collect())),
            new_key,
            path,
        })
    }

    /// The keyring the store uses during the rotation.
    pub fn keyring(&self) -> Arc<Keyring> {
        match self {
            Self::Configured(ring) | Self::KeyFile { keyring: ring, .. } => ring.clone(),
        }
    }

    /// Ends the rotation once every tenant is re-encrypted: the key file keeps the new key only.
    ///
    /// # Errors
    /// When the key file cannot be rewritten (the old keys then stay readable in it).
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Configured(_) => Ok(()),
            Self::KeyFile { new_key, path, .. } => {
                write_key_file(&path, &[new_key], Place::Replace).map(|_| ())
            }
        }
    }
}
