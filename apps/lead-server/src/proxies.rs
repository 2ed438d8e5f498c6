//! Who is really calling: the peer address, or what a configured reverse proxy says it forwarded.
//!
//! `X-Forwarded-For`, `X-Forwarded-Host` and `X-Forwarded-Proto` are written by whoever sends the
//! request, so they are believed only when the TCP peer is one of `TRUSTED_PROXIES`. Rate limits
//! per address and the URL a Twilio signature covers both rest on this one rule.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// A network in `TRUSTED_PROXIES`: an address with a prefix length (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Reads `1.2.3.4`, `1.2.3.0/24`, `::1` or `fd00::/8`.
    ///
    /// # Errors
    /// A message saying what is wrong with the entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR network"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a prefix length outside 0 to {max}"))?,
            None => max,
        };
        Ok(Self { address, prefix })
    }

    /// Whether `ip` is inside this network (IPv4-mapped IPv6 peers count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The reverse proxies whose forwarded headers are believed; empty trusts nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Reads the comma-separated `TRUSTED_PROXIES` value.
    ///
    /// # Errors
    /// The first entry that is not an address or network.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Network::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether the peer is a trusted proxy.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(peer))
    }

    /// Whether any proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The address of the client behind the proxies: the peer itself unless it is trusted, then
    /// the right-most `X-Forwarded-For` entry that is not a trusted proxy (entries to its left were
    /// written by the client and prove nothing).
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(list) = forwarded_for else {
            return peer;
        };
        let mut last = peer;
        for entry in list.rsplit(',') {
            let Some(ip) = parse_forwarded_entry(entry) else {
                return last;
            };
            let ip = canonical(ip);
            if !self.trusts(ip) {
                return ip;
            }
            last = ip;
        }
        last
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port or in brackets.
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    entry.rsplit_once(':')?.0.parse().ok()
}

/// The request's TCP peer; `0.0.0.0` for the in-memory requests of unit tests, which have none.
pub fn peer_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| canonical(a.ip()))
}

/// Whether the request reached us through a trusted proxy, so its forwarded headers may be read.
pub fn via_trusted_proxy(req: &HttpRequest, proxies: &TrustedProxies) -> bool {
    proxies.trusts(peer_ip(req))
}

/// The calling client's address under the trusted-proxy rule.
pub fn client_ip(req: &HttpRequest, proxies: &TrustedProxies) -> IpAddr {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    proxies.client_ip(peer_ip(req), forwarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn networks_match_their_prefix() {
        let net = Network::parse("10.1.0.0/16").expect("net");
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        let one = Network::parse("192.168.1.5").expect("host");
        assert!(one.contains(ip("192.168.1.5")));
        assert!(!one.contains(ip("192.168.1.6")));
        let v6 = Network::parse("fd00::/8").expect("v6");
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(
            Network::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_peers() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").expect("list");
        // An untrusted peer's header is ignored.
        assert_eq!(
            proxies.client_ip(ip("203.0.113.9"), Some("1.1.1.1")),
            ip("203.0.113.9")
        );
        // Through a trusted proxy: the right-most untrusted entry, not what the client prepended.
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), Some("6.6.6.6, 198.51.100.4, 10.0.0.7")),
            ip("198.51.100.4")
        );
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), None), ip("10.0.0.2"));
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), Some("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), Some("garbage")),
            ip("10.0.0.2")
        );
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/8,nonsense").is_err());
    }
}
