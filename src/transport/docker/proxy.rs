//! Proxies from the environment, chosen as Go's `http.ProxyFromEnvironment`
//! (golang.org/x/net/http/httpproxy) chooses them, since skopeo's users set them for Go:
//!
//! - `HTTPS_PROXY`/`https_proxy` for https URLs, `HTTP_PROXY`/`http_proxy` for http URLs (the
//!   upper-case name first); a value without a scheme is taken as `http://VALUE`; a value
//!   that still does not parse is ignored; `socks5://` and `socks5h://` are SOCKS servers that
//!   are given the registry's name (Go's transport resolves it at the server for both);
//! - `localhost` and loopback addresses are never proxied;
//! - `NO_PROXY`/`no_proxy`: comma-separated `*`, IP addresses, CIDR ranges, and domain names
//!   (matching the name and its subdomains; with a leading `.` or `*.`, subdomains only),
//!   IPs and names optionally with `:PORT`;
//! - with `REQUEST_METHOD` set (a CGI program), `HTTP_PROXY` is refused, not used.

use std::net::IpAddr;
use std::sync::OnceLock;

use url::{Host, Url};

/// Go's error for `HTTP_PROXY` under CGI.
pub const CGI_REFUSAL: &str =
    "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy";

#[derive(Debug, Default)]
pub struct ProxyConfig {
    http: Option<Url>,
    https: Option<Url>,
    cgi: bool,
    /// `NO_PROXY` is `*`.
    no_proxy_all: bool,
    no_proxy: Vec<Exclusion>,
}

#[derive(Debug, PartialEq)]
enum Exclusion {
    Cidr(IpAddr, u8),
    Ip(IpAddr, Option<String>),
    /// `.name`; `also_name` when written without the leading dot (or `*.`): the name itself
    /// matches too.
    Domain {
        suffix: String,
        port: Option<String>,
        also_name: bool,
    },
}

/// The process's settings, read once (as Go reads them once).
pub fn from_environment() -> &'static ProxyConfig {
    static CONFIG: OnceLock<ProxyConfig> = OnceLock::new();
    CONFIG.get_or_init(|| ProxyConfig::from_vars(|n| std::env::var(n).ok()))
}

/// A reqwest proxy that asks [`from_environment`] for every URL.
pub fn reqwest_proxy() -> reqwest::Proxy {
    reqwest::Proxy::custom(|url: &Url| {
        let mut proxy = from_environment().proxy_for(url).ok().flatten()?;
        // Go hands the SOCKS server the name to connect to, under either scheme (the server
        // resolves it); reqwest does that for `socks5h` and resolves `socks5` names itself.
        if proxy.scheme() == "socks5" {
            proxy.set_scheme("socks5h").ok()?;
        }
        Some(proxy)
    })
}

fn first_set(get: &impl Fn(&str) -> Option<String>, names: [&str; 2]) -> String {
    names
        .iter()
        .find_map(|n| get(n).filter(|v| !v.is_empty()))
        .unwrap_or_default()
}

/// A proxy value: a URL with scheme http, https, socks5 or socks5h (the schemes Go's
/// transport speaks), else `http://VALUE`.
fn parse_proxy(value: &str) -> Option<Url> {
    if value.is_empty() {
        return None;
    }
    match Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") => Some(u),
        _ => Url::parse(&format!("http://{value}")).ok(),
    }
}

/// Go's `net.SplitHostPort` for the forms NO_PROXY entries take: `host:port`, `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')?));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip.to_canonical(), net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - bits as u32).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - bits as u32).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl ProxyConfig {
    /// From variables looked up by `get` (the environment, or a test's table).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> ProxyConfig {
        let mut c = ProxyConfig {
            http: parse_proxy(&first_set(&get, ["HTTP_PROXY", "http_proxy"])),
            https: parse_proxy(&first_set(&get, ["HTTPS_PROXY", "https_proxy"])),
            cgi: get("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
            ..ProxyConfig::default()
        };
        for entry in first_set(&get, ["NO_PROXY", "no_proxy"]).split(',') {
            let entry = entry.trim().to_lowercase();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                c.no_proxy_all = true;
                break;
            }
            if let Some((ip, bits)) = parse_cidr(&entry) {
                c.no_proxy.push(Exclusion::Cidr(ip, bits));
                continue;
            }
            let (host, port) = match split_host_port(&entry) {
                Some(("", _)) => continue,
                Some((h, p)) => (h.to_string(), Some(p.to_string()).filter(|p| !p.is_empty())),
                None => (entry.clone(), None),
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                c.no_proxy.push(Exclusion::Ip(ip, port));
                continue;
            }
            let host = host
                .strip_prefix('*')
                .filter(|h| h.starts_with('.'))
                .unwrap_or(&host);
            let (suffix, also_name) = match host.strip_prefix('.') {
                Some(_) => (host.to_string(), false),
                None => (format!(".{host}"), true),
            };
            c.no_proxy.push(Exclusion::Domain {
                suffix,
                port,
                also_name,
            });
        }
        c
    }

    /// The proxy for `url`: `Ok(None)` to connect directly, `Err` (Go's text) when the
    /// environment's proxy may not be used.
    pub fn proxy_for(&self, url: &Url) -> Result<Option<Url>, &'static str> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => {
                if self.http.is_some() && self.cgi {
                    return Err(CGI_REFUSAL);
                }
                self.http.as_ref()
            }
            _ => None,
        };
        let Some(proxy) = proxy else {
            return Ok(None);
        };
        Ok(self.use_proxy(url).then(|| proxy.clone()))
    }

    fn use_proxy(&self, url: &Url) -> bool {
        let (host, ip) = match url.host() {
            Some(Host::Domain(d)) => (d.to_lowercase(), d.parse::<IpAddr>().ok()),
            Some(Host::Ipv4(v4)) => (v4.to_string(), Some(IpAddr::V4(v4))),
            Some(Host::Ipv6(v6)) => (v6.to_string(), Some(IpAddr::V6(v6))),
            None => return true,
        };
        if host == "localhost" || ip.is_some_and(|ip| ip.to_canonical().is_loopback()) {
            return false;
        }
        if self.no_proxy_all {
            return false;
        }
        let port = url
            .port_or_known_default()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let port_ok = |p: &Option<String>| p.as_ref().is_none_or(|p| *p == port);
        !self.no_proxy.iter().any(|e| match e {
            Exclusion::Cidr(net, bits) => ip.is_some_and(|ip| in_cidr(ip, *net, *bits)),
            Exclusion::Ip(want, p) => {
                ip.is_some_and(|ip| ip.to_canonical() == want.to_canonical()) && port_ok(p)
            }
            Exclusion::Domain {
                suffix,
                port: p,
                also_name,
            } => {
                (host.ends_with(suffix.as_str()) || (*also_name && host == suffix[1..]))
                    && port_ok(p)
            }
        })
    }
}

/// Go's host:port of a proxy URL (the scheme's port when it has none), for error texts.
pub fn proxy_addr(proxy: &Url) -> String {
    let port = proxy.port().unwrap_or(match proxy.scheme() {
        "https" => 443,
        "socks5" | "socks5h" => 1080,
        _ => 80,
    });
    match proxy.host() {
        Some(Host::Ipv6(v6)) => format!("[{v6}]:{port}"),
        Some(h) => format!("{h}:{port}"),
        None => format!(":{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> ProxyConfig {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyConfig::from_vars(move |n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    }

    fn proxied(c: &ProxyConfig, url: &str) -> Option<String> {
        c.proxy_for(&Url::parse(url).unwrap())
            .unwrap()
            .map(|u| u.to_string())
    }

    // Cases from the documentation and tests of golang.org/x/net/http/httpproxy.
    #[test]
    fn scheme_picks_the_variable_and_values_without_scheme_are_http() {
        let c = config(&[
            ("HTTP_PROXY", "cache.corp.example.com:1234"),
            ("HTTPS_PROXY", "secure.example.com"),
        ]);
        assert_eq!(
            proxied(&c, "http://example.com").as_deref(),
            Some("http://cache.corp.example.com:1234/")
        );
        assert_eq!(
            proxied(&c, "https://example.com").as_deref(),
            Some("http://secure.example.com/")
        );
        let c = config(&[("HTTP_PROXY", "127.0.0.1:8080")]);
        assert_eq!(
            proxied(&c, "http://example.com").as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        // HTTPS_PROXY is not used for http, nor HTTP_PROXY for https.
        assert_eq!(proxied(&c, "https://example.com"), None);
        let c = config(&[("HTTPS_PROXY", "https://secure.example.com")]);
        assert_eq!(proxied(&c, "http://example.com"), None);
        assert_eq!(
            proxied(&c, "https://example.com").as_deref(),
            Some("https://secure.example.com/")
        );
        let c = config(&[("HTTPS_PROXY", "socks5://127.0.0.1")]);
        assert_eq!(
            proxied(&c, "https://example.com").as_deref(),
            Some("socks5://127.0.0.1")
        );
        let c = config(&[("HTTPS_PROXY", "socks5h://127.0.0.1:1080")]);
        assert_eq!(
            proxied(&c, "https://example.com").as_deref(),
            Some("socks5h://127.0.0.1:1080")
        );
        // Upper case first; an empty upper-case value lets the lower-case one through.
        let c = config(&[("HTTPS_PROXY", "a:1"), ("https_proxy", "b:2")]);
        assert_eq!(proxied(&c, "https://x").as_deref(), Some("http://a:1/"));
        let c = config(&[("HTTPS_PROXY", ""), ("https_proxy", "b:2")]);
        assert_eq!(proxied(&c, "https://x").as_deref(), Some("http://b:2/"));
    }

    #[test]
    fn loopback_is_never_proxied() {
        let c = config(&[("HTTPS_PROXY", "proxy:3128"), ("HTTP_PROXY", "proxy:3128")]);
        for url in [
            "https://localhost:5000/v2/",
            "https://127.0.0.1:5000/v2/",
            "https://127.1.2.3/v2/",
            "https://[::1]:5000/v2/",
            "http://localhost/",
        ] {
            assert_eq!(proxied(&c, url), None, "{url}");
        }
        assert!(proxied(&c, "https://127.0.0.2.nip.example/").is_some());
        assert!(proxied(&c, "https://10.0.0.1/").is_some());
    }

    #[test]
    fn no_proxy_entries() {
        let c = config(&[
            ("HTTPS_PROXY", "proxy:3128"),
            (
                "no_proxy",
                "foobar.com, .barbaz.net, *.qux.org, 10.0.0.0/8, 192.168.1.1, 172.16.0.1:8443, example.io:444, [2001:db8::1]:443",
            ),
        ]);
        let direct = [
            "https://foobar.com",
            "https://www.foobar.com",
            "https://FOOBAR.com",
            "https://a.barbaz.net",
            "https://a.qux.org",
            "https://10.1.2.3",
            "https://192.168.1.1:5000",
            "https://172.16.0.1:8443",
            "https://example.io:444",
            "https://sub.example.io:444",
            "https://[2001:db8::1]",
        ];
        for url in direct {
            assert_eq!(proxied(&c, url), None, "{url}");
        }
        let through = [
            "https://afoobar.com",
            "https://barbaz.net",
            "https://qux.org",
            "https://11.0.0.1",
            "https://192.168.1.2",
            "https://172.16.0.1",
            "https://example.io",
            "https://[2001:db8::1]:8443",
        ];
        for url in through {
            assert!(proxied(&c, url).is_some(), "{url}");
        }
        let all = config(&[("HTTPS_PROXY", "proxy"), ("NO_PROXY", "a.com,*")]);
        assert_eq!(proxied(&all, "https://anything.example"), None);
    }

    #[test]
    fn cgi_refuses_http_proxy() {
        let c = config(&[
            ("HTTP_PROXY", "proxy:3128"),
            ("HTTPS_PROXY", "proxy:3128"),
            ("REQUEST_METHOD", "GET"),
        ]);
        assert_eq!(
            c.proxy_for(&Url::parse("http://example.com").unwrap()),
            Err(CGI_REFUSAL)
        );
        assert!(proxied(&c, "https://example.com").is_some());
    }

    #[test]
    fn proxy_addresses_for_errors() {
        assert_eq!(
            proxy_addr(&Url::parse("http://127.0.0.1:9").unwrap()),
            "127.0.0.1:9"
        );
        assert_eq!(
            proxy_addr(&Url::parse("http://proxy.example").unwrap()),
            "proxy.example:80"
        );
        assert_eq!(
            proxy_addr(&Url::parse("https://[::1]").unwrap()),
            "[::1]:443"
        );
        assert_eq!(
            proxy_addr(&Url::parse("socks5://127.0.0.1").unwrap()),
            "127.0.0.1:1080"
        );
    }
}
