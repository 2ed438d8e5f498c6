//! Where calls to addresses a tenant chose (webhook endpoints) may go: public internet addresses
//! only, unless the operator allows private networks. A tenant must not be able to make the
//! server call its own admin ports, the cloud's metadata service or the internal network, neither
//! by naming such an address nor by a name that resolves to one (checked again at every
//! connection, so a name re-pointed after it was saved is refused too).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The URL names a loopback, private, link-local or otherwise non-public address.
    #[error("{0} is not a public internet address")]
    NotPublic(String),
    /// The name resolves to no public address.
    #[error("{0} resolves to no public internet address")]
    NoPublicAddress(String),
}

/// Whether an address is on the public internet: not loopback, private, shared (CGNAT),
/// link-local (cloud metadata), unspecified, broadcast, multicast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10, shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (18..20).contains(&b))
        // 240.0.0.0/4, reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // 2001:db8::/32, documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // ::ffff:0:0/96 is handled as IPv4; 64:ff9b::/96 (NAT64) could reach anything.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

/// Checks the host of a URL a tenant gave: an address must be public, and `localhost` (and
/// names under `.localhost`, `.internal` or `.local`) is refused. Other names are checked when
/// resolved, by [`PublicOnlyResolver`].
///
/// # Errors
/// [`EgressError::NotPublic`].
pub fn check_host(url: &url::Url) -> Result<(), EgressError> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) if !is_public_v4(ip) => {
            Err(EgressError::NotPublic(ip.to_string()))
        }
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
            Err(EgressError::NotPublic(ip.to_string()))
        }
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let internal = name == "localhost"
                || [".localhost", ".internal", ".local"]
                    .iter()
                    .any(|s| name.ends_with(s));
            if internal {
                Err(EgressError::NotPublic(name))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// A DNS resolver for reqwest that keeps only public addresses, so the connection can only be
/// made to an address that passed the check (no window between checking and connecting).
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(EgressError::NoPublicAddress(host)) as _);
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!public(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(ip), "{ip} must be allowed");
        }
    }

    #[test]
    fn hosts_are_checked_by_address_and_by_internal_name() {
        let check = |u: &str| check_host(&url::Url::parse(u).unwrap());
        assert!(check("https://hooks.example.com/x").is_ok());
        assert!(check("https://8.8.8.8/x").is_ok());
        assert!(check("http://127.0.0.1:8080/").is_err());
        assert!(check("http://[::1]/").is_err());
        assert!(check("http://169.254.169.254/latest/meta-data").is_err());
        assert!(check("http://localhost:9000/").is_err());
        assert!(check("http://LOCALHOST./").is_err());
        assert!(check("http://metadata.google.internal/").is_err());
        assert!(check("http://printer.local/").is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_names_that_resolve_only_to_internal_addresses() {
        let name: Name = "localhost".parse().unwrap();
        assert!(PublicOnlyResolver.resolve(name).await.is_err());
    }
}
