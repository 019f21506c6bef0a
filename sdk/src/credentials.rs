//! API credentials: loaded from the environment or from a file only its owner can read, never
//! printed, wiped from memory when dropped.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use zeroize::Zeroizing;

/// A secret string: `Debug` and `Display` print `***`, and the memory is wiped on drop.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::credentials::Secret;
/// let s = Secret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
/// assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
/// assert_eq!(s.expose().len(), 64);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// Returns the secret itself, for signing. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::MASK)
    }
}

/// Errors from loading credentials. None of them contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A required environment variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set")]
    MissingVar(String),
    /// A field is empty.
    #[error("credential {0} is empty")]
    Empty(&'static str),
    /// A field still holds a template placeholder such as `your_api_key_here`.
    #[error("credential {0} is a placeholder, not a real value")]
    Placeholder(&'static str),
    /// The secrets file can be read or written by others than its owner.
    #[error("secrets file {path} has mode {mode:o}: it must not be accessible to group or others (chmod 600)")]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The secrets file could not be read.
    #[error("cannot read secrets file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line of the secrets file is not `name=value` with a known name.
    #[error("secrets file {path} line {line}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the value).
        reason: String,
    },
}

/// A venue API key, its secret and (OKX, Bitget) passphrase.
///
/// `Debug` and `Display` show only the last four characters of the key; the secret and
/// passphrase are never shown, and all three are wiped from memory on drop.
///
/// # Examples
///
/// ```
/// use mdbus_sdk::credentials::Credentials;
///
/// let c = Credentials::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "s3cr3t-s3cr3t", None)?;
/// assert_eq!(format!("{c}"), "api key ****Eh8A");
/// assert!(!format!("{c:?}").contains("s3cr3t"));
/// assert_eq!(c.redact("signed with s3cr3t-s3cr3t"), "signed with ***");
/// # Ok::<(), mdbus_sdk::credentials::CredentialsError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    api_key: Zeroizing<String>,
    secret: Secret,
    passphrase: Option<Secret>,
}

fn check(field: &'static str, v: &str) -> Result<(), CredentialsError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(CredentialsError::Empty(field));
    }
    let lower = t.to_ascii_lowercase();
    if (lower.starts_with("your_") || lower.starts_with("your-") || lower.starts_with('<'))
        && (lower.ends_with("_here") || lower.ends_with("-here") || lower.ends_with('>'))
        || matches!(lower.as_str(), "changeme" | "xxx" | "placeholder")
    {
        return Err(CredentialsError::Placeholder(field));
    }
    Ok(())
}

impl Credentials {
    /// Returns credentials after checking that no field is empty or a placeholder.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::Empty`] or [`CredentialsError::Placeholder`].
    pub fn new(
        api_key: impl Into<String>,
        secret: impl Into<String>,
        passphrase: Option<String>,
    ) -> Result<Credentials, CredentialsError> {
        let api_key = Zeroizing::new(api_key.into());
        let secret = Secret::new(secret);
        let passphrase = passphrase.map(Secret::new);
        check("api_key", &api_key)?;
        check("secret", secret.expose())?;
        if let Some(p) = &passphrase {
            check("passphrase", p.expose())?;
        }
        Ok(Credentials { api_key, secret, passphrase })
    }

    /// Loads `{PREFIX}_API_KEY`, `{PREFIX}_SECRET` and, if set, `{PREFIX}_PASSPHRASE` from the
    /// environment (`prefix` as given, e.g. `BINANCE` or `MDBUS_OKX`).
    ///
    /// # Errors
    ///
    /// [`CredentialsError::MissingVar`] naming the variable, or as [`Credentials::new`].
    pub fn from_env(prefix: &str) -> Result<Credentials, CredentialsError> {
        let var = |suffix: &str| {
            let name = format!("{prefix}_{suffix}");
            std::env::var(&name).map(Zeroizing::new).map_err(|_| CredentialsError::MissingVar(name))
        };
        let key = var("API_KEY")?;
        let secret = var("SECRET")?;
        let passphrase = var("PASSPHRASE").ok();
        Credentials::new(key.as_str(), secret.as_str(), passphrase.map(|p| p.as_str().to_owned()))
    }

    /// Loads credentials from a file of `name=value` lines (`api_key`, `secret`, optional
    /// `passphrase`; `#` starts a comment; values may be quoted). The file must not be
    /// accessible to group or others: `chmod 600` it.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::InsecurePermissions`], [`CredentialsError::Io`],
    /// [`CredentialsError::Malformed`], [`CredentialsError::MissingVar`] for a missing field,
    /// or as [`Credentials::new`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Credentials, CredentialsError> {
        use std::os::unix::fs::PermissionsExt;
        let path = path.as_ref();
        let io = |source| CredentialsError::Io { path: path.to_path_buf(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CredentialsError::InsecurePermissions { path: path.to_path_buf(), mode });
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let (mut key, mut secret, mut passphrase) = (None, None, None);
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |reason: &str| CredentialsError::Malformed {
                path: path.to_path_buf(),
                line: n + 1,
                reason: reason.to_owned(),
            };
            let Some((name, value)) = line.split_once('=') else {
                return Err(malformed("expected name=value"));
            };
            let value = value.trim();
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "api_key" => &mut key,
                "secret" => &mut secret,
                "passphrase" => &mut passphrase,
                other => return Err(malformed(&format!("unknown name {other:?} (use api_key, secret, passphrase)"))),
            };
            *slot = Some(value.to_owned());
        }
        let missing = |f: &str| CredentialsError::MissingVar(format!("{} in {}", f, path.display()));
        Credentials::new(key.ok_or_else(|| missing("api_key"))?, secret.ok_or_else(|| missing("secret"))?, passphrase)
    }

    /// Returns the API key (sent in a header, but keep it out of logs).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Returns the secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Returns the passphrase, if the venue uses one.
    pub fn passphrase(&self) -> Option<&Secret> {
        self.passphrase.as_ref()
    }

    /// Returns the API key masked for display: `****` and its last four characters.
    pub fn masked_key(&self) -> String {
        let k = self.api_key.as_str();
        let tail: String = k.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        if k.chars().count() <= 8 { "****".to_owned() } else { format!("****{tail}") }
    }

    /// Replaces every occurrence of the key, secret or passphrase in `text` with `***`, then
    /// applies [`redact::text`](crate::redact::text).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut values = vec![self.secret.expose(), self.api_key.as_str()];
        if let Some(p) = &self.passphrase {
            values.push(p.expose());
        }
        for v in values {
            if !v.is_empty() {
                out = out.replace(v, crate::redact::MASK);
            }
        }
        crate::redact::text(&out)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.masked_key())
            .field("secret", &self.secret)
            .field("passphrase", &self.passphrase)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api key {}", self.masked_key())
    }
}
