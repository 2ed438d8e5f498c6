//! Twilio webhook request validation: the `X-Twilio-Signature` header and the URL Twilio signed.
//!
//! Twilio signs every webhook with `base64(HMAC-SHA1(auth_token, url + sorted params))`, where the
//! URL is exactly what Twilio requested (scheme, host, optional port, path and query) and the
//! params are the form fields of the POST body, sorted by name, each name followed by its value.
//! JSON bodies are not part of the signature; instead Twilio adds a `bodySHA256` query parameter
//! holding the hex SHA-256 of the body, and that URL is signed with no params.
//!
//! Twilio's own back end is inconsistent about ports, so, like Twilio's helper libraries, a
//! signature is accepted when it matches the URL without any port or with its port (the default
//! one added when absent), and for both the URL exactly as given and its WHATWG-normalised form
//! (which percent-encodes characters such as `'` in the query, as Twilio's signer sometimes does).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[cfg(test)]
mod tests;

/// The HTTP header in which Twilio sends the request signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The query parameter that carries the hex SHA-256 of a signed JSON body.
pub const BODY_SHA256_PARAM: &str = "bodySHA256";

/// Why a webhook request was rejected as not coming from Twilio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request carried no `X-Twilio-Signature` header, or an empty one.
    #[error("missing twilio signature")]
    Missing,
    /// The signature does not match the URL and parameters under the tenant's auth token.
    #[error("twilio signature does not match the request")]
    Mismatch,
    /// A JSON body was signed but the URL has no `bodySHA256` parameter to bind it.
    #[error("signed json request has no bodySHA256 query parameter")]
    MissingBodyHash,
    /// The body's SHA-256 differs from the `bodySHA256` query parameter.
    #[error("request body does not match its bodySHA256 query parameter")]
    BodyHashMismatch,
    /// The URL to check is not an absolute `http` or `https` URL.
    #[error("cannot validate a signature over an invalid url: {0}")]
    InvalidUrl(String),
}

/// Checks and computes Twilio signatures for one account's auth token.
#[derive(Clone)]
pub struct RequestValidator {
    auth_token: SecretString,
}

impl std::fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestValidator").finish_non_exhaustive()
    }
}

impl RequestValidator {
    /// Creates a validator for the account whose auth token signs the webhooks.
    pub fn new(auth_token: SecretString) -> Self {
        Self { auth_token }
    }

    /// Computes the signature Twilio would send for `url` and form `params`, for tests and tools.
    ///
    /// Parameters are sorted by name and, for repeated names, by value with duplicates removed,
    /// which is what Twilio's helper libraries do.
    pub fn compute_signature<K, V>(&self, url: &str, params: &[(K, V)]) -> String
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        base64::engine::general_purpose::STANDARD.encode(self.mac(url, params))
    }

    /// Validates a form-encoded webhook: `signature` against `url` and the decoded form `params`.
    ///
    /// # Errors
    /// [`SignatureError::Missing`] for an empty signature, [`SignatureError::InvalidUrl`] when
    /// `url` is not absolute http(s), [`SignatureError::Mismatch`] when no URL variant matches.
    pub fn validate_form<K, V>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> Result<(), SignatureError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let signature = signature.trim();
        if signature.is_empty() {
            return Err(SignatureError::Missing);
        }
        let candidates = url_variants(url)?;
        // Every candidate is checked, without an early return, so the time taken does not tell
        // which variant matched.
        let mut matched = subtle::Choice::from(0u8);
        for candidate in &candidates {
            let expected = self.compute_signature(candidate, params);
            matched |= expected.as_bytes().ct_eq(signature.as_bytes());
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// Decodes a form body and validates its signature, returning the pairs only when valid so
    /// a handler cannot act on unverified input.
    ///
    /// # Errors
    /// As [`RequestValidator::validate_form`].
    pub fn verified_form(
        &self,
        url: &str,
        body: &[u8],
        signature: &str,
    ) -> Result<Vec<(String, String)>, SignatureError> {
        let pairs = parse_form(body);
        self.validate_form(url, &pairs, signature)?;
        Ok(pairs)
    }

    /// Validates a JSON webhook: the body must hash to the URL's `bodySHA256` parameter and the
    /// signature must match the URL alone.
    ///
    /// # Errors
    /// As [`RequestValidator::validate_form`], plus [`SignatureError::MissingBodyHash`] and
    /// [`SignatureError::BodyHashMismatch`] for a body not bound by the URL.
    pub fn validate_json(
        &self,
        url: &str,
        body: &[u8],
        signature: &str,
    ) -> Result<(), SignatureError> {
        let claimed = body_hash_param(url)?.ok_or(SignatureError::MissingBodyHash)?;
        let actual = body_sha256_hex(body);
        // The hash is hex; Twilio emits lowercase, but uppercase is the same digest.
        let claimed = claimed.to_ascii_lowercase();
        let body_ok = actual.as_bytes().ct_eq(claimed.as_bytes());
        let signature_result = self.validate_form::<&str, &str>(url, &[], signature);
        match (bool::from(body_ok), signature_result) {
            (_, Err(SignatureError::Missing)) => Err(SignatureError::Missing),
            (true, result) => result,
            (false, _) => Err(SignatureError::BodyHashMismatch),
        }
    }

    fn mac<K, V>(&self, url: &str, params: &[(K, V)]) -> Vec<u8>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut sorted: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut mac = match Hmac::<Sha1>::new_from_slice(self.auth_token.expose_secret().as_bytes())
        {
            Ok(mac) => mac,
            // HMAC accepts keys of any length, so this arm is unreachable; an empty MAC can never
            // equal a real signature, which keeps the failure closed.
            Err(_) => return Vec::new(),
        };
        mac.update(url.as_bytes());
        for (key, value) in sorted {
            mac.update(key.as_bytes());
            mac.update(value.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }
}

/// Returns the lowercase hex SHA-256 of a request body, as Twilio puts in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// Decodes an `application/x-www-form-urlencoded` body into its pairs, in order, keeping repeats.
///
/// Invalid UTF-8 is replaced rather than rejected, as browsers and Twilio never send it and the
/// signature check then fails closed on the altered text.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn body_hash_param(url: &str) -> Result<Option<String>, SignatureError> {
    let parsed = url::Url::parse(url).map_err(|e| SignatureError::InvalidUrl(e.to_string()))?;
    Ok(parsed
        .query_pairs()
        .find(|(k, _)| k == BODY_SHA256_PARAM)
        .map(|(_, v)| v.into_owned()))
}

/// The pieces of an absolute http(s) URL as written, without any normalisation.
struct RawUrl<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<&'a str>,
    rest: &'a str,
}

fn split_raw(url: &str) -> Result<RawUrl<'_>, SignatureError> {
    let invalid = || SignatureError::InvalidUrl(url.chars().take(200).collect());
    let (scheme, after) = url.split_once("://").ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(invalid());
    }
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(authority_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']').ok_or_else(invalid)?;
        let (host, tail) = hostport.split_at(close + 1);
        match tail.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if tail.is_empty() => (host, None),
            None => return Err(invalid()),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(invalid());
    }
    let port = match port {
        Some("") | None => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p),
        Some(_) => return Err(invalid()),
    };
    Ok(RawUrl {
        scheme,
        userinfo,
        host,
        port,
        rest,
    })
}

fn default_port(scheme: &str) -> &'static str {
    if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else {
        "80"
    }
}

fn assemble(
    scheme: &str,
    userinfo: Option<&str>,
    host: &str,
    port: Option<&str>,
    rest: &str,
) -> String {
    let mut out = String::with_capacity(scheme.len() + host.len() + rest.len() + 16);
    out.push_str(scheme);
    out.push_str("://");
    if let Some(userinfo) = userinfo {
        out.push_str(userinfo);
        out.push('@');
    }
    out.push_str(host);
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    out.push_str(rest);
    out
}

/// Every spelling of `url` that Twilio may have signed: without a port and with one, each both
/// as written and WHATWG-normalised.
pub fn url_variants(url: &str) -> Result<Vec<String>, SignatureError> {
    let raw = split_raw(url)?;
    let with_port = raw.port.unwrap_or_else(|| default_port(raw.scheme));
    let mut variants = vec![
        assemble(raw.scheme, raw.userinfo, raw.host, None, raw.rest),
        assemble(
            raw.scheme,
            raw.userinfo,
            raw.host,
            Some(with_port),
            raw.rest,
        ),
    ];
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(host) = parsed.host_str()
    {
        let userinfo = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, None) => Some(user.to_owned()),
            (user, Some(password)) => Some(format!("{user}:{password}")),
        };
        let rest = &parsed[url::Position::BeforePath..];
        let port = parsed.port_or_known_default().map(|p| p.to_string());
        let port = port.as_deref().unwrap_or(with_port);
        for port in [None, Some(port)] {
            let variant = assemble(parsed.scheme(), userinfo.as_deref(), host, port, rest);
            if !variants.contains(&variant) {
                variants.push(variant);
            }
        }
    }
    Ok(variants)
}

/// What the server knows about an incoming request, to rebuild the URL Twilio called.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestUrlParts<'a> {
    /// The configured public base URL (`PUBLIC_BASE_URL`); when set it wins over headers.
    pub public_base_url: Option<&'a str>,
    /// The `X-Forwarded-Proto` header set by a trusted reverse proxy.
    pub forwarded_proto: Option<&'a str>,
    /// The `X-Forwarded-Host` header set by a trusted reverse proxy.
    pub forwarded_host: Option<&'a str>,
    /// The `Host` header the server received.
    pub host: Option<&'a str>,
    /// The scheme the server itself was reached by (`http` behind a TLS-terminating proxy).
    pub scheme: &'a str,
    /// The request path and query exactly as received, starting with `/`.
    pub path_and_query: &'a str,
}

impl RequestUrlParts<'_> {
    /// Rebuilds the absolute URL Twilio requested, which is what its signature covers.
    ///
    /// A configured public base URL is prefixed to the path (a base with a path prefix keeps it);
    /// otherwise the first value of the forwarded headers is used, then the `Host` header.
    ///
    /// # Errors
    /// [`SignatureError::InvalidUrl`] when no host is known or a scheme or host is malformed.
    pub fn twilio_url(&self) -> Result<String, SignatureError> {
        let path = self.path_and_query;
        if !path.starts_with('/') {
            return Err(SignatureError::InvalidUrl(format!(
                "path must start with '/': {path}"
            )));
        }
        if let Some(base) = self
            .public_base_url
            .map(str::trim)
            .filter(|b| !b.is_empty())
        {
            let base = base.trim_end_matches('/');
            split_raw(base)?;
            return Ok(format!("{base}{path}"));
        }
        let first = |value: Option<&str>| {
            value
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let scheme = first(self.forwarded_proto).unwrap_or_else(|| self.scheme.to_owned());
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(SignatureError::InvalidUrl(format!(
                "unsupported scheme: {scheme}"
            )));
        }
        let host = first(self.forwarded_host)
            .or_else(|| first(self.host))
            .ok_or_else(|| SignatureError::InvalidUrl("no host header".to_owned()))?;
        let host_ok = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
        if !host_ok {
            return Err(SignatureError::InvalidUrl(format!("invalid host: {host}")));
        }
        Ok(format!("{scheme}://{host}{path}"))
    }
}
