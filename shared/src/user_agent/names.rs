//! Browser and operating system names from an agent string and the client
//! hints.
//!
//! The names are the ones already stored, so that a site's browser and OS
//! lists keep one row per product across versions of this classifier
//! ("Chrome", "Firefox", "Safari", "Windows 10", "Mac OSX", "iPhone",
//! "Android"...). Order matters: most browsers also claim to be Chrome or
//! Safari, so the specific names come first.

use super::hints::{ClientHints, Platform};

/// Browser names: a token (lower case) and the name it gives, most specific
/// first.
const BROWSERS: &[(&str, &str)] = &[
    ("edg/", "Edge"),
    ("edga/", "Edge"),
    ("edgios/", "Edge"),
    ("edge/", "Edge"),
    ("opr/", "Opera"),
    ("opt/", "Opera"),
    ("opera", "Opera"),
    ("samsungbrowser/", "Samsung Internet"),
    ("yabrowser/", "Yandex Browser"),
    ("vivaldi/", "Vivaldi"),
    ("ucbrowser/", "UC Browser"),
    ("ucweb", "UC Browser"),
    ("silk/", "Silk"),
    ("miuibrowser/", "MIUI Browser"),
    ("huaweibrowser/", "Huawei Browser"),
    ("whale/", "Whale"),
    ("duckduckgo/", "DuckDuckGo"),
    ("kaios", "KaiOS Browser"),
    ("crios/", "Chrome"),
    ("fxios/", "Firefox"),
    ("firefox/", "Firefox"),
    ("fennec/", "Firefox"),
    ("msie ", "Internet Explorer"),
    ("trident/", "Internet Explorer"),
    ("headlesschrome/", "HeadlessChrome"),
    ("chrome/", "Chrome"),
    ("chromium/", "Chrome"),
    ("version/", "Safari"),
    ("mobile/", "Safari"),
    ("safari/", "Safari"),
];

/// Brands in the client hints, as the names above.
const BRANDS: &[(&str, &str)] = &[
    ("google chrome", "Chrome"),
    ("microsoft edge", "Edge"),
    ("opera", "Opera"),
    ("samsung internet", "Samsung Internet"),
    ("yandex", "Yandex Browser"),
    ("vivaldi", "Vivaldi"),
    ("brave", "Brave"),
    ("chromium", "Chrome"),
];

/// The browser's name, or `None` when neither source names one.
pub fn browser(lower: &str, hints: &ClientHints<'_>) -> Option<String> {
    // Only known brands are taken: the header is free text.
    let brand = hints.brand().map(str::to_ascii_lowercase);
    if let Some((_, name)) =
        brand.and_then(|brand| BRANDS.iter().find(|(token, _)| brand.contains(token)))
    {
        return Some((*name).to_owned());
    }
    // "Version/…" and "Mobile/…" name Safari only in Apple's WebKit agents.
    let webkit_apple = lower.contains("applewebkit") && !lower.contains("android");
    BROWSERS
        .iter()
        .filter(|(token, _)| webkit_apple || !matches!(*token, "version/" | "mobile/"))
        .find(|(token, _)| lower.contains(token))
        .map(|(_, name)| (*name).to_owned())
}

/// The operating system's name, or `None` when neither source names one.
pub fn os(lower: &str, hints: &ClientHints<'_>) -> Option<String> {
    let from_agent = os_from_agent(lower);
    // The hint is exact about the platform but says nothing of the version,
    // so the agent's name stays when both agree.
    let hinted = match hints.platform() {
        Some(Platform::Android) => "Android",
        Some(Platform::ChromeOs) => "ChromeOS",
        Some(Platform::Ios) => "iOS",
        Some(Platform::Linux) => "Linux",
        Some(Platform::MacOs) => "Mac OSX",
        Some(Platform::Windows) => "Windows",
        None => return from_agent.map(str::to_owned),
    };
    match from_agent {
        Some(name) if name.starts_with(hinted) => Some(name.to_owned()),
        _ => Some(hinted.to_owned()),
    }
}

fn os_from_agent(lower: &str) -> Option<&'static str> {
    const RULES: &[(&str, &str)] = &[
        ("windows phone", "Windows Phone"),
        ("windows nt 10.0", "Windows 10"),
        ("windows nt 6.3", "Windows 8.1"),
        ("windows nt 6.2", "Windows 8"),
        ("windows nt 6.1", "Windows 7"),
        ("windows nt 6.0", "Windows Vista"),
        ("windows nt 5.1", "Windows XP"),
        ("xbox", "Xbox"),
        ("windows", "Windows"),
        ("kaios", "KaiOS"),
        ("harmonyos", "HarmonyOS"),
        ("android", "Android"),
        ("cros ", "ChromeOS"),
        ("chromebook", "ChromeOS"),
        ("iphone", "iPhone"),
        ("ipad", "iPad"),
        ("ipod", "iPod"),
        ("appletv", "tvOS"),
        ("macintosh", "Mac OSX"),
        ("mac os x", "Mac OSX"),
        ("tizen", "Tizen"),
        ("web0s", "webOS"),
        ("webos", "webOS"),
        ("playstation", "PlayStation"),
        ("nintendo", "Nintendo"),
        ("blackberry", "BlackBerry"),
        ("bb10", "BlackBerry"),
        ("symbian", "Symbian"),
        ("freebsd", "FreeBSD"),
        ("openbsd", "OpenBSD"),
        ("linux", "Linux"),
        ("x11", "Linux"),
        ("cfnetwork", "iOS"),
    ];
    RULES
        .iter()
        .find(|(token, _)| lower.contains(token))
        .map(|(_, name)| *name)
}
