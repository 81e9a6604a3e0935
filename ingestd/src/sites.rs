//! Which sites may send events, from which origins (CORS), for which
//! hostnames, which sites are in cookieless mode, and which have layout
//! capture turned off.
//!
//! Without configured sites, every site key is accepted and any origin is
//! echoed back. With sites configured, unknown site keys are refused; a site
//! configured with origins accepts browser requests only from those origins,
//! and the origin is echoed only then. Credentials are never allowed.
//!
//! A site key is public (it is in every page's HTML), and the `Origin` header
//! is only sent by browsers, so anyone can send events for a site from a
//! script. The origins therefore also name the site's hostnames: an event
//! whose page URL is on another host is rejected on its own
//! (`host_not_allowed`), whoever sent it.

use crate::Config;
use std::collections::{HashMap, HashSet};

/// A set of site keys given as an option: keys, or `*` for every site.
#[derive(Debug, Clone, Default)]
pub struct SiteSet {
    all: bool,
    sites: HashSet<String>,
}

impl SiteSet {
    /// Site keys, or `*` for every site.
    pub fn parse(entries: &[String]) -> Self {
        let mut sites = HashSet::new();
        let mut all = false;
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                all = true;
            } else {
                sites.insert(entry.to_owned());
            }
        }
        Self { all, sites }
    }

    pub fn contains(&self, site: &str) -> bool {
        self.all || self.sites.contains(site)
    }

    /// The named sites (without `*`).
    pub fn named(&self) -> impl Iterator<Item = &str> {
        self.sites.iter().map(String::as_str)
    }
}

/// The outcome of checking a request's site and origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteCheck {
    Allowed,
    UnknownSite,
    OriginNotAllowed,
}

#[derive(Debug, Clone, Default)]
struct Site {
    /// Allowed origins, lower case without a trailing slash (empty: any).
    origins: Vec<String>,
    /// The hosts of those origins (empty: any).
    hosts: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    sites: HashMap<String, Site>,
    cookieless: SiteSet,
    layout_off: SiteSet,
}

impl SiteRules {
    /// The rules of a configuration: `--site` entries, `--cookieless` and
    /// `--layout-off` keys (which must be configured sites, when any are).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let mut rules = Self::parse(&config.sites)?;
        rules.cookieless = SiteSet::parse(&config.cookieless);
        rules.layout_off = SiteSet::parse(&config.layout_off);
        if !rules.sites.is_empty() {
            for (option, set) in [
                ("cookieless", &rules.cookieless),
                ("layout-off", &rules.layout_off),
            ] {
                if let Some(unknown) = set.named().find(|key| !rules.sites.contains_key(*key)) {
                    return Err(format!(
                        "{option} site {unknown:?} is not one of the configured sites"
                    ));
                }
            }
        }
        Ok(rules)
    }

    /// Parses `key` or `key=origin,origin` entries.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut sites = HashMap::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let (key, origins) = match entry.split_once('=') {
                Some((key, origins)) => (key.trim(), origins),
                None => (entry, ""),
            };
            if key.is_empty() {
                return Err(format!("site entry {entry:?} has no site key"));
            }
            let origins: Vec<String> = origins
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect();
            let mut hosts = Vec::with_capacity(origins.len());
            for origin in &origins {
                if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                    return Err(format!(
                        "origin {origin:?} of site {key:?} must start with http:// or https://"
                    ));
                }
                let host = url::Url::parse(origin)
                    .ok()
                    .filter(|u| u.path() == "/" && u.query().is_none())
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .ok_or_else(|| {
                        format!("origin {origin:?} of site {key:?} is not scheme://host[:port]")
                    })?;
                if !hosts.contains(&host) {
                    hosts.push(host);
                }
            }
            sites.insert(key.to_owned(), Site { origins, hosts });
        }
        Ok(Self {
            sites,
            ..Self::default()
        })
    }

    /// Whether events of `site` may be about pages on `url`'s host: always
    /// when the site has no origins configured (or no sites are configured).
    pub fn page_allowed(&self, site: &str, url: &str) -> Result<(), String> {
        let Some(hosts) = self.sites.get(site).map(|s| &s.hosts) else {
            return Ok(());
        };
        if hosts.is_empty() {
            return Ok(());
        }
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        if hosts.contains(&host) {
            Ok(())
        } else {
            Err(host)
        }
    }

    /// Whether `site` gets cookieless visitor ids.
    pub fn cookieless(&self, site: &str) -> bool {
        self.cookieless.contains(site)
    }

    /// Whether layout snapshots of `site` are asked for and taken (on unless
    /// `--layout-off` names the site).
    pub fn layout_capture(&self, site: &str) -> bool {
        !self.layout_off.contains(site)
    }

    /// Checks a batch for `site` sent from `origin` (absent for non-browser clients).
    pub fn check(&self, site: &str, origin: Option<&str>) -> SiteCheck {
        if self.sites.is_empty() {
            return SiteCheck::Allowed;
        }
        let Some(origins) = self.sites.get(site).map(|s| &s.origins) else {
            return SiteCheck::UnknownSite;
        };
        match origin {
            Some(origin) if !origins.is_empty() && !Self::listed(origins, origin) => {
                SiteCheck::OriginNotAllowed
            }
            _ => SiteCheck::Allowed,
        }
    }

    /// Whether to echo `origin` in `Access-Control-Allow-Origin`: when some
    /// site may be sent from it (a preflight does not say which site).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.sites.is_empty()
            || self
                .sites
                .values()
                .any(|site| site.origins.is_empty() || Self::listed(&site.origins, origin))
    }

    fn listed(origins: &[String], origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_when_unconfigured() {
        let rules = SiteRules::parse(&[]).unwrap_or_default();
        assert_eq!(
            rules.check("anything", Some("https://x.example")),
            SiteCheck::Allowed
        );
        assert!(rules.origin_allowed("https://x.example"));
    }

    #[test]
    fn checks_sites_and_origins() {
        let rules = SiteRules::parse(&[
            "demo".into(),
            "shop=https://Shop.example/, https://www.shop.example".into(),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.check("nope", None), SiteCheck::UnknownSite);
        assert_eq!(
            rules.check("demo", Some("https://any.example")),
            SiteCheck::Allowed
        );
        assert_eq!(
            rules.check("shop", Some("https://shop.example")),
            SiteCheck::Allowed
        );
        assert_eq!(
            rules.check("shop", Some("https://evil.example")),
            SiteCheck::OriginNotAllowed
        );
        assert_eq!(rules.check("shop", None), SiteCheck::Allowed);
        let strict = SiteRules::parse(&["shop=https://shop.example".into()]).unwrap_or_default();
        assert!(strict.origin_allowed("https://shop.example"));
        assert!(!strict.origin_allowed("https://evil.example"));
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(SiteRules::parse(&["=https://a.example".into()]).is_err());
        assert!(SiteRules::parse(&["a=ftp://a.example".into()]).is_err());
        assert!(SiteRules::parse(&["a=https://a.example/path".into()]).is_err());
        assert!(SiteRules::parse(&["a=https://".into()]).is_err());
    }

    #[test]
    fn hostnames_come_from_the_origins() {
        let rules = SiteRules::parse(&[
            "demo".into(),
            "shop=https://Shop.example, https://www.shop.example:8443, http://[::1]:4000".into(),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        for url in [
            "https://shop.example/p/1",
            "http://SHOP.example:8080/",
            "https://www.shop.example/",
            "http://[::1]:4000/demo/",
        ] {
            assert_eq!(rules.page_allowed("shop", url), Ok(()), "{url}");
        }
        assert_eq!(
            rules.page_allowed("shop", "https://evil.example/shop.example"),
            Err("evil.example".into())
        );
        assert_eq!(
            rules.page_allowed("shop", "https://shop.example.evil.example/"),
            Err("shop.example.evil.example".into())
        );
        // No origins, or no sites at all: any host.
        assert_eq!(rules.page_allowed("demo", "https://evil.example/"), Ok(()));
        let open = SiteRules::parse(&[]).unwrap_or_default();
        assert_eq!(open.page_allowed("x", "https://evil.example/"), Ok(()));
    }

    #[test]
    fn cookieless_sites_must_be_configured() {
        let config = |sites: &[&str], cookieless: &[&str]| Config {
            sites: sites.iter().map(|s| s.to_string()).collect(),
            cookieless: cookieless.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        };
        let rules = SiteRules::from_config(&config(&["shop", "blog"], &["shop"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.cookieless("shop") && !rules.cookieless("blog"));
        assert!(SiteRules::from_config(&config(&["shop"], &["nope"])).is_err());
        let open =
            SiteRules::from_config(&config(&[], &["anything"])).unwrap_or_else(|e| panic!("{e}"));
        assert!(open.cookieless("anything") && !open.cookieless("other"));
    }

    #[test]
    fn parses_site_sets() {
        let some = SiteSet::parse(&["shop".into(), " blog ".into()]);
        assert!(some.contains("shop") && some.contains("blog") && !some.contains("demo"));
        let all = SiteSet::parse(&["*".into()]);
        assert!(all.contains("anything"));
        assert!(!SiteSet::parse(&[]).contains("shop"));
    }

    #[test]
    fn layout_capture_is_on_unless_turned_off() {
        let config = |sites: &[&str], off: &[&str]| Config {
            sites: sites.iter().map(|s| s.to_string()).collect(),
            layout_off: off.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        };
        let rules = SiteRules::from_config(&config(&["shop", "blog"], &["blog"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.layout_capture("shop") && !rules.layout_capture("blog"));
        assert!(SiteRules::from_config(&config(&["shop"], &["nope"])).is_err());
        let all = SiteRules::from_config(&config(&[], &["*"])).unwrap_or_else(|e| panic!("{e}"));
        assert!(!all.layout_capture("anything"));
        let open = SiteRules::from_config(&config(&[], &[])).unwrap_or_else(|e| panic!("{e}"));
        assert!(open.layout_capture("anything"));
    }
}
