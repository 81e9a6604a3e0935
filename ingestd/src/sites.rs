//! Which sites may send events, and from which origins (CORS).
//!
//! Without configured sites, every site key is accepted and any origin is
//! echoed back. With sites configured, unknown site keys are refused; a site
//! configured with origins accepts browser requests only from those origins,
//! and the origin is echoed only then. Credentials are never allowed.

use std::collections::HashMap;

/// The outcome of checking a request's site and origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteCheck {
    Allowed,
    UnknownSite,
    OriginNotAllowed,
}

#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    /// Site key → allowed origins (empty: any origin).
    sites: HashMap<String, Vec<String>>,
}

impl SiteRules {
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
            for origin in &origins {
                if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                    return Err(format!(
                        "origin {origin:?} of site {key:?} must start with http:// or https://"
                    ));
                }
            }
            sites.insert(key.to_owned(), origins);
        }
        Ok(Self { sites })
    }

    /// Checks a batch for `site` sent from `origin` (absent for non-browser clients).
    pub fn check(&self, site: &str, origin: Option<&str>) -> SiteCheck {
        if self.sites.is_empty() {
            return SiteCheck::Allowed;
        }
        let Some(origins) = self.sites.get(site) else {
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
                .any(|origins| origins.is_empty() || Self::listed(origins, origin))
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
    }
}
