//! The device model an Android agent names ("SM-X200" in
//! `(Linux; Android 13; SM-X200 Build/TP1A…)`), and what makers' naming
//! conventions tell from it.
//!
//! Thousands of makers' models have no token that says "tablet" or "TV", but
//! whole families of them follow one convention: a TV's model carries its
//! screen diagonal in inches ("55OV6000U", "TD43UFBSV1") or names its panel
//! ("LED43", "UHD"); a set-top box says "STB" or "box"; Huawei's Wi-Fi-only
//! models, which are all tablets, end in "-W09"/"-W10", and Xiaomi's pads
//! carry "RP" after the date. The rules read the model field alone, so that
//! the same letters elsewhere in an agent (a browser's name, a build number)
//! do not count. They are conventions, not laws: a few phones share them
//! ("Turbox_S3" has "box"), far fewer than the devices they name.
//!
//! The field is also where a bot pattern must not look: a maker's model name
//! ("Discovery", "XBot_Senior", "Radar") says nothing about who browses.

use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;

struct Rules {
    tv: Option<Regex>,
    tablet: Option<Regex>,
}

/// Compiles the rules now rather than on first use.
pub fn prepare() {
    rules();
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules {
        tv: Regex::new(concat!(
            // A screen diagonal of 24 to 99 inches, then the series letters
            // and number: "55OV6000U", "HX-32H01FB", "SABA_32SB6000H".
            r"(?:^|[_ -])(?:2[4-9]|[3-9]\d)[A-Z]{1,4}\d{2,}",
            // The diagonal inside the name, then a resolution letter (UHD,
            // FHD, HD) and the series: "TD43UFBSV1", "MLT43USD02", "55UE-BYVB".
            r"|(?:2[4-9]|[3-9]\d)[UFH][A-Z]{2}",
            // The panel or the broadcast standard: "SW-LED43SB304",
            // "HTY-65UHD06B", "DVB-ATV100".
            r"|LED-?\d{2}|[2-9]\dUHD|DVB",
            // "TV" as a word or glued to the maker's name: "EcostarTV",
            // "NEWAL_TV_UHD", "TDTV50BS06U" (but not "HTV31", a phone).
            r"|\bTV\b|_TV|TV_|[a-z]TV\b|TV\d{2}[A-Z]{2}",
            // Set-top boxes ("SDSTB02", "OPENBOX A9", "HONGTOP_box",
            // "WinkBox 2") and the common families of Android TV boxes.
            r"|STB|(?i:box(?:\b|[_\d]|s\d))",
            r"|(?i:\b(?:x96|x88|tanix|ugoos|vontar|mecool|me-cool|a95x|transpeed|mxq|gtking|h96[ _-]?max))",
        ))
        .ok(),
        tablet: Regex::new(concat!(
            // Huawei and Honor Wi-Fi-only models ("BAH3-W09", "AGS3-W9").
            r"\b[A-Z][A-Za-z]{2,3}\d?-W\d{1,2}\b",
            // Lenovo Tab and Yoga Tab codes ("TB3-X70L", "YT-X703F").
            r"|(?i:\b(?:tb|yt)\d?-[a-z]\d{2})",
            // Xiaomi and Redmi Pad codes: year and month, then "RP"
            // ("23073RPBFG"); Xiaomi's phones use other letters there.
            r"|\b2\d{4}RP[A-Z0-9]{2,4}\b",
            // "MID", Mobile Internet Device: the generic name of unbranded
            // tablets ("MID1045", "GEOFOX MID 743").
            r"|\bMID[-_ ]?\d",
            // Makers whose codes lead with the screen diagonal, 7 inches and
            // up being tablets: BQ ("BQ-7062G", "BQ-1036L"; its phones are
            // BQ-5xxx and 6xxx), Digma ("TS8289PL", "CS1273PL"); and the
            // tablet lines Prestigio MultiPad ("PMT3277") and DEXP ("TZ722").
            r"|\bBQ(?:ru)?-(?:[7-9]\d{3}|1[0-3]\d{2})|\b[PCT]S(?:[7-9]\d{3}|1[0-4]\d{2})[A-Z]{2}\b",
            r"|\bPMT\d{4}|\bTZ\d{3}\b",
            // The market-variant suffix ("_EEA", "-ROW") that the makers of
            // most budget tablets put in the model ("P85_EEA", "T22-EEA");
            // the phones that use it have all-digit models ("5033X_EEA").
            r"|^[A-Z][A-Za-z0-9]*[-_](?:EEA|ROW)\b",
            // "Tab" and "Pad" models of every maker: "TAB-8US2",
            // "Beeline Tab 2", "SKY PAD8", "Armor Pad Lite"; and children's
            // devices, which are tablets ("SKY Kids 70").
            r"|(?i:(?:\b|_)tab(?:\b|[-_ ]?\d))|(?i:pad(?:\b|\d|_))|(?i:\bkids\b)",
        ))
        .ok(),
    })
}

/// Whether every rule's regular expression compiled.
#[cfg(test)]
pub(super) fn rules_compile() -> bool {
    let r = rules();
    r.tv.is_some() && r.tablet.is_some()
}

/// Whether `model` is named as a TV or set-top box is.
pub fn is_tv(model: &str) -> bool {
    rules().tv.as_ref().is_some_and(|re| re.is_match(model))
}

/// Whether `model` is named as a tablet is.
pub fn is_tablet(model: &str) -> bool {
    rules().tablet.as_ref().is_some_and(|re| re.is_match(model))
}

/// Where in `ua` the device field is: the first item after "Android N" in
/// the agent's first parenthesised comment that is not a locale, "U", "wv"
/// or a processor ("SM-X200 Build/TP1A.220624.014"), or the last item of a
/// Windows Phone agent's comment ("HTC; Radar 4G"). `None` for agents that
/// name neither system there.
pub fn field(ua: &str) -> Option<Range<usize>> {
    let open = ua.find('(')? + 1;
    let close = ua[open..].find(')').map_or(ua.len(), |i| open + i);
    let comment = &ua[open..close];
    let trimmed = |from: usize, item: &str| {
        let from = from + (item.len() - item.trim_start().len());
        let text = item.trim();
        (!text.is_empty()).then(|| from..from + text.len())
    };
    if comment.contains("Windows Phone") {
        let last = comment.rfind(';').map_or(0, |i| i + 1);
        return trimmed(open + last, &comment[last..]);
    }
    let mut start = open;
    let mut after_android = false;
    for item in comment.split(';') {
        let item_start = start;
        start += item.len() + 1;
        let text = item.trim();
        if !after_android {
            // "Andr0id" is how some TV browsers spell it.
            after_android = text.starts_with("Android") || text.starts_with("Andr0id");
        } else if !is_filler(text) {
            return trimmed(item_start, item);
        }
    }
    None
}

/// The model name of a device field: the field without its "Build/…" part.
pub fn name(field: &str) -> &str {
    field
        .find("Build/")
        .map_or(field, |i| field[..i].trim_end())
}

/// Items of the comment that stand between "Android N" and the model.
fn is_filler(item: &str) -> bool {
    matches!(
        item,
        "" | "U" | "wv" | "arm" | "arm_64" | "x86" | "x86_64" | "HarmonyOS"
    ) || is_locale(item)
}

/// "en", "en-us", "zh-Hans-CN", "fa_US".
fn is_locale(item: &str) -> bool {
    let mut parts = item.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()))
}
