//! The device class of an agent string, and how the client hints refine it.
//!
//! Rules, strongest first: a screen that is no computer, tablet or phone (TV,
//! set-top box, media stick, games console, car, signage player) is `tv`
//! whatever else the agent claims, by its tokens, by an Android TV build
//! number, or by a model named as TVs are ([`super::model`]); a Chromebook is
//! a desktop even when an Android app names Android; a model the device lists
//! name ([`super::device_models`]) has their class; tablet tokens and tablet
//! models win over "Mobile" (many Android tablets send a phone agent); then
//! the class a listed maker's devices mostly have; then phone tokens; then
//! Google's convention that an Android browser without "Mobile" is on a
//! tablet (kept to browsers: an app's or a truncated agent never says
//! "Mobile", and most Android devices are phones); then desktop systems.
//! Cars and signage are put in `tv`: like a TV, they are fixed screens used
//! in passing, neither carried nor worked at. Worn devices (watches,
//! headsets) count as `mobile`.

use super::device_models::{self, Listed};
use super::hints::{ClientHints, Platform};
use super::model;
use crate::event::DeviceClass;
use regex::Regex;
use std::sync::OnceLock;

/// Tokens (lower case) of TVs, set-top boxes, media sticks, consoles and cars.
const TV_TOKENS: &[&str] = &[
    "smart-tv",
    "smarttv",
    "smart tv",
    "smart_tv",
    "googletv",
    "google tv",
    "android tv",
    "androidtv",
    "; tv;",
    " tv build",
    "tv bro",
    "hbbtv",
    "netcast",
    "web0s",
    "webos.tv",
    "webostv",
    "bravia",
    "viera",
    "philipstv",
    "nettv",
    // Sharp's TVs; its phones are "Aquos" too.
    "aquos-tv",
    "aquos_tv",
    "aquosbrowser",
    "aquos-as",
    "appletv",
    "apple tv",
    "tvos",
    "crkey",
    "vidaa",
    "tizen tv",
    "tizen; tv",
    "opera tv",
    "inettvbrowser",
    "nintendo",
    "playstation",
    "retroid pocket",
    "anbernic",
    "xbox",
    "ouya",
    "shield android tv",
    "mibox",
    "mi box",
    "firetv",
    "fire tv",
    "set-top",
    "settop",
    "kylo",
    "sonydtv",
    "qtcarbrowser",
    "tesla/",
    "android automotive",
    "carplay",
    "brightsign",
];

/// Tokens (lower case) that name a tablet outright.
const TABLET_TOKENS: &[&str] = &[
    "ipad",
    "tablet",
    "kindle",
    "silk/",
    "playbook",
    "galaxy tab",
    "mediapad",
    "matepad",
    "lenovo tab",
    "ideatab",
    "yoga tab",
    "xiaomi pad",
    "redmi pad",
    "mi pad",
    "oppo pad",
    "realme pad",
    "honor pad",
    "nexus 7",
    "nexus 9",
    "nexus 10",
    "pixel c",
    "pixel tablet",
    "xoom",
];

/// Tokens (lower case) of phones and other pocket devices, for agents whose
/// "Mobile" token is missing or spelled otherwise.
const PHONE_TOKENS: &[&str] = &[
    "mobile",
    "iphone",
    "ipod",
    "kaios",
    "opera mini",
    "opera mobi",
    "blackberry",
    "bb10",
    "windows phone",
    "windows ce",
    "iemobile",
    "symbian",
    "series40",
    "series60",
    "s60",
    "midp",
    "j2me",
    "nokia",
    "ucweb",
    "ucbrowser",
    "phone",
    "wap",
    "webos",
    "bada",
    "tizen",
    "watch",
    "wear os",
    "sonyericsson",
    "samsung-",
    "docomo",
    "up.browser",
    "netfront",
    "obigo",
    "teleca",
    "fennec",
    "palmos",
    "maemo",
    "meego",
    "sailfish",
    "harmonyos",
    "lumia",
    "wpdesktop",
    "palmsource",
    "oculusbrowser",
];

/// Tokens (lower case) of Apple's phones, tablets and players.
const APPLE_TOKENS: &[&str] = &["iphone", "ipad", "ipod"];

/// Tokens (lower case) of desktop systems.
const DESKTOP_TOKENS: &[&str] = &[
    "windows",
    "win64",
    "win32",
    "macintosh",
    "mac os x",
    "mac_powerpc",
    "x11",
    "linux",
    "cros",
    "freebsd",
    "openbsd",
    "netbsd",
    "sunos",
    "haiku",
];

struct Models {
    /// Tablet model numbers that come with a phone agent.
    tablet: Option<Regex>,
    /// TV, stick and set-top box names that need word boundaries.
    tv: Option<Regex>,
    /// A ChromeOS build number ("Build/R80-12739"), given to Android apps on
    /// Chromebooks.
    chromeos_build: Option<Regex>,
    /// "TV" as a word, and Android TV build numbers, whose branch letter after
    /// the release letter is "T" ("Build/STTC.230104", "Build/RTT4.240509",
    /// cut to "Build/RT" by some boxes' firmware).
    tv_agent: Option<Regex>,
}

/// Compiles the rules now rather than on first use.
pub fn prepare() {
    models();
    model::prepare();
    device_models::prepare();
}

fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| Models {
        // Samsung Galaxy Tab (SM-T, SM-X, SM-P, GT-P, GT-N8), Lenovo Tab
        // (TB-X606F, TB3-710F), Huawei MediaPad and MatePad codes (BAH3-W09),
        // Amazon Fire (KFxx), Sony Xperia Tablet (SGP), Acer Iconia (B1-730).
        tablet: Regex::new(
            r"(?i)\b(?:sm-[tpx]\d{3}|gt-(?:p\d{4}|n8\d{2}|n51\d{2})|sch-i[89]\d{2}|tb\d?-?[a-z]?\d{3,4}|lenovo ?tb|kf[a-z]{2,6}\b|(?:bah|ags|kob|scm|dby|mrx|bzt|cmr|gem|jdn|agr|agm)\d?-[a-z]{1,2}\d{2}|iplay ?\d+|nokia t\d{2}|tab ?[a-z]?\d+|sgp\d{3}|a3-a\d{2}|b[1-3]-[a-z0-9]{3})",
        )
        .ok(),
        // Amazon Fire TV (AFTMM, AFTB), Nvidia Shield, Xiaomi boxes and TVs,
        // generic set-top box and digital TV tokens; the "(maker, model,
        // wired)" triple of the HbbTV and CE-HTML platforms, the Opera/Vewd
        // TV engine ("OMI/"), and Linux on MIPS, which only TVs and boxes run.
        tv: Regex::new(concat!(
            r"\bAFT[A-Z0-9]{1,8}\b|\bSHIELD Android TV|\bMiTV|\bMIBOX",
            r"|(?i:\b(?:stb|dtv|roku|maple)\b|_stb\b|\bstb_)",
            r"|(?i:\([^();]+, ?[^();]+, ?(?:wired|wireless)?\))|\bOMI/|(?i:linux mips)",
        ))
        .ok(),
        chromeos_build: Regex::new(r"Build/R\d{2,3}-\d").ok(),
        tv_agent: Regex::new(r"\bTV\b|Build/[N-W]T(?:[A-Z][0-9A-Z]?)?[.;)]").ok(),
    })
}

/// Whether every rule's regular expression compiled.
#[cfg(test)]
pub(super) fn rules_compile() -> bool {
    let m = models();
    m.tablet.is_some() && m.tv.is_some() && m.chromeos_build.is_some() && m.tv_agent.is_some()
}

fn matches(re: &Option<Regex>, text: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(text))
}

fn has_any(lower: &str, tokens: &[&str]) -> bool {
    tokens.iter().any(|t| lower.contains(t))
}

/// Whether the agent names a TV, box, console or car by its tokens, an
/// Android TV build or a model named as TVs are: the rules that win over
/// the bot list (a TV's own app agents look like tools'). A TV known only
/// from the model lists is still asked about.
pub fn named_tv(ua: &str, lower: &str) -> bool {
    let models = models();
    has_any(lower, TV_TOKENS)
        || matches(&models.tv, ua)
        || matches(&models.tv_agent, ua)
        || model::field(ua).is_some_and(|range| model::is_tv(model::name(&ua[range])))
}

/// The class the agent string alone gives, for an agent that [`named_tv`]
/// found naming no TV (bots are found before this).
pub fn naming_no_tv(ua: &str, lower: &str) -> DeviceClass {
    let models = models();
    let model = model::field(ua).map(|range| model::name(&ua[range]));
    if lower.contains("chromebook")
        || lower.contains("cros ")
        || matches(&models.chromeos_build, ua)
    {
        return DeviceClass::Desktop;
    }
    let android = lower.contains("android") || lower.contains("adr ");
    // The model lists are asked where an agent names a device model: Android
    // agents, and agents of no desktop system or Apple device (whose class
    // the rules below know from the system alone). A listed model decides;
    // a maker's commonest class yields to the tablet conventions.
    let listed = (android || !(has_any(lower, DESKTOP_TOKENS) || has_any(lower, APPLE_TOKENS)))
        .then(|| device_models::lookup(ua))
        .flatten();
    if let Some(Listed {
        class: Some(class),
        model: true,
    }) = listed
    {
        return class;
    }
    if has_any(lower, TABLET_TOKENS) && !lower.contains("tablet pc") {
        return DeviceClass::Tablet;
    }
    // "/apad" marks the tablet builds of Yandex's Android apps.
    if android
        && (matches(&models.tablet, ua)
            || model.is_some_and(model::is_tablet)
            || lower.contains("/apad"))
    {
        return DeviceClass::Tablet;
    }
    if let Some(Listed {
        class: Some(class), ..
    }) = listed
    {
        return class;
    }
    if has_any(lower, PHONE_TOKENS) {
        return DeviceClass::Mobile;
    }
    if android {
        // Google's convention: Android browsers on tablets leave out
        // "Mobile". Only a browser's agent follows it (it names Safari);
        // an app's ("Dalvik/2.1.0 (Linux; U; Android 14; …)") or a cut one
        // never says "Mobile", so it is taken for the commoner phone.
        return if ua.contains("Safari") {
            DeviceClass::Tablet
        } else {
            DeviceClass::Mobile
        };
    }
    if has_any(lower, DESKTOP_TOKENS) {
        return DeviceClass::Desktop;
    }
    if lower.contains("darwin") || lower.contains("cfnetwork") {
        return darwin(lower);
    }
    DeviceClass::Unknown
}

/// An app's networking stack on Apple systems ("CFNetwork/1410 Darwin/22.6.0")
/// names no device; a Mac is named by its model or architecture, and anything
/// else is most often an iPhone, the commonest Apple device.
fn darwin(lower: &str) -> DeviceClass {
    if [
        "macbook", "imac", "macmini", "mac mini", "macpro", "x86_64", "macos",
    ]
    .iter()
    .any(|t| lower.contains(t))
    {
        DeviceClass::Desktop
    } else if lower.contains("ipad") {
        DeviceClass::Tablet
    } else {
        DeviceClass::Mobile
    }
}

/// Refines the agent's class with the client hints, which only Chromium
/// browsers send and which are exact about phone versus not-phone.
pub fn with_hints(class: DeviceClass, hints: &ClientHints<'_>) -> DeviceClass {
    // A TV, console or bot is known from its agent; the hints (a TV's Chromium
    // says "Android", "?0") would make it a tablet.
    if matches!(class, DeviceClass::Tv | DeviceClass::Bot) {
        return class;
    }
    let mobile = hints.is_mobile();
    match (hints.platform(), mobile) {
        (_, Some(true)) => DeviceClass::Mobile,
        (Some(Platform::Android), Some(false)) => DeviceClass::Tablet,
        (Some(Platform::Windows | Platform::MacOs | Platform::Linux | Platform::ChromeOs), _) => {
            DeviceClass::Desktop
        }
        _ => class,
    }
}
