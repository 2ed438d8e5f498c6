//! `lead-server healthcheck [--url URL]`: asks a running server's readiness endpoint and exits 0
//! when it answers 2xx, 1 otherwise. Container images have no curl, and the slim image's `/bin/sh`
//! (dash) has no `/dev/tcp`, so the binary probes itself with a plain HTTP/1.1 request.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long the probe waits to connect and for the answer.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Why the probe failed.
#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    /// The URL is not an `http://host[:port]/path` URL.
    #[error("invalid --url {0:?}: expected http://HOST[:PORT]/PATH")]
    InvalidUrl(String),
    /// Connecting, writing or reading failed.
    #[error("no answer from {url}: {source}")]
    Io {
        /// The URL probed.
        url: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with a status that is not 2xx.
    #[error("{url} answered {status}")]
    Unhealthy {
        /// The URL probed.
        url: String,
        /// The status line's code (0 when unreadable).
        status: u16,
    },
}

/// The URL probed without `--url`: the readiness endpoint on the local `PORT` (8000 when unset
/// or empty).
pub fn default_url(port: Option<&str>) -> String {
    let port = port
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or("8000");
    format!("http://127.0.0.1:{port}/health/ready")
}

/// Sends `GET` to `url` and returns the status when it is 2xx.
///
/// # Errors
/// [`HealthcheckError`] for a bad URL, no answer, or a status other than 2xx.
pub fn probe(url: &str) -> Result<u16, HealthcheckError> {
    let parsed = url::Url::parse(url).map_err(|_| HealthcheckError::InvalidUrl(url.to_owned()))?;
    let host = match (parsed.scheme(), parsed.host_str()) {
        ("http", Some(host)) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        _ => return Err(HealthcheckError::InvalidUrl(url.to_owned())),
    };
    let port = parsed.port().unwrap_or(80);
    let io = |source| HealthcheckError::Io {
        url: url.to_owned(),
        source,
    };
    let address = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| io(std::io::Error::other("the host has no address")))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lead-server-healthcheck\r\nConnection: close\r\n\r\n",
        parsed.host_str().unwrap_or(&host)
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
    }
    let status = std::str::from_utf8(&head[..read])
        .ok()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .unwrap_or(0);
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(HealthcheckError::Unhealthy {
            url: url.to_owned(),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_url_is_local_readiness_on_port() {
        assert_eq!(default_url(None), "http://127.0.0.1:8000/health/ready");
        assert_eq!(default_url(Some("")), "http://127.0.0.1:8000/health/ready");
        assert_eq!(
            default_url(Some("9000")),
            "http://127.0.0.1:9000/health/ready"
        );
    }

    #[test]
    fn only_http_urls_are_probed() {
        assert!(matches!(
            probe("https://x/health"),
            Err(HealthcheckError::InvalidUrl(_))
        ));
        assert!(matches!(
            probe("not a url"),
            Err(HealthcheckError::InvalidUrl(_))
        ));
    }

    #[test]
    fn a_closed_port_is_unhealthy() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        assert!(matches!(
            probe(&format!("http://127.0.0.1:{port}/health/ready")),
            Err(HealthcheckError::Io { .. })
        ));
    }
}
