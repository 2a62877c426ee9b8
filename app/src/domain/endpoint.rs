//! Which addresses an organisation's find endpoint may resolve to (the SSRF guard's rules).
//!
//! The portal connects to endpoints that organisations give it, so an endpoint must not lead it
//! to its own machine, the private network it runs in, or a cloud metadata service. Every
//! address a host name resolves to is checked, at save time and again at connect time; an
//! operator allowlist (CIDR blocks) can let chosen ranges through, as dev and demo mode do for
//! 127.0.0.1, where the find-endpoint simulator runs. Pure rules: resolving names is the caller's
//! business.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Loopback,
    Private,
    LinkLocal,
    /// A cloud provider's instance metadata service.
    Metadata,
    Unspecified,
    Multicast,
    /// Broadcast, documentation, benchmarking and other ranges not used on the internet.
    Reserved,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address (this machine)",
            Self::Private => "a private network address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata service address",
            Self::Unspecified => "an unspecified address",
            Self::Multicast => "a multicast address",
            Self::Reserved => "a reserved address that is not used on the internet",
        })
    }
}

const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254), // AWS, Azure, GCP, OpenStack
    Ipv4Addr::new(169, 254, 170, 2),   // AWS ECS task metadata
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
];
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn classify_v4(ip: Ipv4Addr) -> Option<Refusal> {
    if METADATA_V4.contains(&ip) {
        return Some(Refusal::Metadata);
    }
    let table: [([u8; 4], u32, Refusal); 16] = [
        ([0, 0, 0, 0], 8, Refusal::Unspecified),
        ([127, 0, 0, 0], 8, Refusal::Loopback),
        ([10, 0, 0, 0], 8, Refusal::Private),
        ([172, 16, 0, 0], 12, Refusal::Private),
        ([192, 168, 0, 0], 16, Refusal::Private),
        ([100, 64, 0, 0], 10, Refusal::Private), // carrier-grade NAT
        ([169, 254, 0, 0], 16, Refusal::LinkLocal),
        ([224, 0, 0, 0], 4, Refusal::Multicast),
        ([240, 0, 0, 0], 4, Refusal::Reserved), // includes 255.255.255.255
        ([192, 0, 0, 0], 24, Refusal::Reserved),
        ([192, 0, 2, 0], 24, Refusal::Reserved),
        ([198, 18, 0, 0], 15, Refusal::Reserved),
        ([198, 51, 100, 0], 24, Refusal::Reserved),
        ([203, 0, 113, 0], 24, Refusal::Reserved),
        ([192, 88, 99, 0], 24, Refusal::Reserved),
        ([255, 255, 255, 255], 32, Refusal::Reserved),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, r)| *r)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    if ip == METADATA_V6 {
        return Some(Refusal::Metadata);
    }
    // IPv4 inside IPv6 (mapped ::ffff:a.b.c.d, and NAT64 64:ff9b::a.b.c.d) is judged as IPv4.
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        return classify_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if ip.is_unspecified() {
        Some(Refusal::Unspecified)
    } else if ip.is_loopback() {
        Some(Refusal::Loopback)
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some(Refusal::LinkLocal)
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some(Refusal::Private) // unique local fc00::/7
    } else if s[0] & 0xff00 == 0xff00 {
        Some(Refusal::Multicast)
    } else if (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])
        || s[0] & 0xe000 != 0x2000
    {
        // Documentation, discard-only, and anything outside global unicast 2000::/3.
        Some(Refusal::Reserved)
    } else {
        None
    }
}

/// Why an address would be refused, or `None` for a public internet address.
pub fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// A block of addresses in CIDR notation, e.g. `127.0.0.1/32` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `address/prefix`, or a bare address (one address).
    pub fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw.trim(), None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => in_v4(ip, net.octets(), u32::from(self.prefix)),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let p = u32::from(self.prefix);
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                (u128::from(ip) & mask) == (u128::from(net) & mask)
            }
            _ => false,
        }
    }
}

/// The addresses endpoints may reach: public ones, and whatever the operator allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow: Vec<Cidr>,
}

impl AddressPolicy {
    /// Dev and demo mode: the simulator on 127.0.0.1 is allowed.
    pub fn dev() -> Self {
        Self {
            allow: vec![Cidr {
                net: IpAddr::V4(Ipv4Addr::LOCALHOST),
                prefix: 32,
            }],
        }
    }

    /// One address: allowed, or why not.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            Some(_) if self.allow.iter().any(|c| c.contains(ip)) => Ok(()),
            Some(r) => Err(r),
            None => Ok(()),
        }
    }

    /// Every address a name resolved to must be allowed (one bad address refuses the name, so a
    /// name cannot smuggle a private address in beside a public one).
    pub fn check_all(&self, ips: &[IpAddr]) -> Result<(), (IpAddr, Refusal)> {
        ips.iter()
            .try_for_each(|ip| self.check(*ip).map_err(|r| (*ip, r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2a00:1450:4009:81f::200e",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(classify(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn internal_addresses_are_refused_with_the_reason() {
        use Refusal::*;
        for (a, r) in [
            ("127.0.0.1", Loopback),
            ("127.8.9.10", Loopback),
            ("::1", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("fd12:3456::1", Private),
            ("169.254.1.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("169.254.169.254", Metadata),
            ("169.254.170.2", Metadata),
            ("100.100.100.200", Metadata),
            ("fd00:ec2::254", Metadata),
            ("0.0.0.0", Unspecified),
            ("::", Unspecified),
            ("224.0.0.1", Multicast),
            ("ff02::1", Multicast),
            ("255.255.255.255", Reserved),
            ("192.0.2.10", Reserved),
            ("2001:db8::1", Reserved),
            // IPv4 hidden in IPv6 is judged as the IPv4 address it carries.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", Metadata),
            ("64:ff9b::10.0.0.1", Private),
        ] {
            assert_eq!(classify(ip(a)), Some(r), "{a}");
        }
    }

    #[test]
    fn cidr_blocks_parse_and_contain() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.1.1")) && !c.contains(ip("11.0.0.1")));
        assert!(!c.contains(ip("::ffff:10.0.0.1")), "families do not mix");
        let one = Cidr::parse(" 127.0.0.1 ").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "example.org/8",
            "10.0.0.0/x",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_allowlist_lets_chosen_ranges_through_and_every_address_counts() {
        let production = AddressPolicy::default();
        assert_eq!(production.check(ip("127.0.0.1")), Err(Refusal::Loopback));
        let dev = AddressPolicy::dev();
        assert_eq!(dev.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(dev.check(ip("127.0.0.2")), Err(Refusal::Loopback));
        assert_eq!(dev.check(ip("169.254.169.254")), Err(Refusal::Metadata));
        let ops = AddressPolicy {
            allow: vec![Cidr::parse("10.20.0.0/16").unwrap()],
        };
        assert_eq!(ops.check(ip("10.20.3.4")), Ok(()));
        assert_eq!(
            ops.check_all(&[ip("8.8.8.8"), ip("10.21.0.1")]),
            Err((ip("10.21.0.1"), Refusal::Private))
        );
        assert_eq!(ops.check_all(&[ip("8.8.8.8"), ip("10.20.0.1")]), Ok(()));
    }
}
