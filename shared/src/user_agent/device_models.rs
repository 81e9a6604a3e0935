//! The device model database: which class of device an agent's model is, from
//! a pinned copy of Matomo device-detector's device lists
//! (`shared/data/device-models.json`, LGPL-3.0-or-later, see the licence file
//! beside it; `shared/data/device_models.py` writes it from a release).
//!
//! Makers' naming conventions ([`super::model`]) cannot tell one bare model
//! code ("CT-8824", "T81N") from another; the lists can, because someone
//! recorded each such device. They are read as device-detector reads them: the
//! first brand whose pattern matches anywhere in the agent (at the start or
//! after a character that cannot continue a model code), then the first of
//! that brand's models whose pattern matches; the model's class, else the
//! brand's.
//!
//! Cost. The lists hold ~17,000 patterns, ~600 KB of text; compiled, they
//! would take ~150 MiB, and running each brand's pattern on every agent takes
//! milliseconds. So every pattern is split into small units ([`units_of`]:
//! ~20,000, most of them one model family), and each unit gets literals one of
//! which every match contains ([`unit_literals`]); one Aho-Corasick pass finds
//! them in an agent. Only the units whose literal occurs (~25) are compiled
//! and run, in the lists' order; the few units without such literals are run
//! on every agent. Compiled units are kept in a cache bounded by their text.
//! Units are compiled without Unicode (agents are ASCII; a non-ASCII byte
//! only fails to match a letter); the few with look-around run on
//! `fancy-regex`, behind the same unit without its look-around, which the
//! `regex` crate runs.

use crate::event::DeviceClass;
use aho_corasick::AhoCorasick;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

/// The pinned lists.
const DATA: &str = include_str!("../../data/device-models.json");

/// How device-detector anchors every pattern: at the start of the agent or
/// after a character that cannot continue a model code.
const ANCHOR: &str = "(?:^|[^A-Z0-9_-]|[^A-Z0-9-]_|sprd-|MZ-)";

/// Bytes of a literal kept: enough to tell most model families apart, few
/// enough that the automaton stays small (the start of a literal every match
/// contains is one too).
const LITERAL_BYTES: usize = 12;

/// The unit text whose compiled forms are kept. Over the 34,070 agents of
/// device-detector's fixtures, nearly every one a different device, the cache
/// took ~12 MiB at most (twice the text took twice that and saved a tenth of
/// the time).
const COMPILED_BYTES: usize = 16 << 10;

#[derive(Deserialize)]
struct Data {
    /// `[pattern, class, [[model pattern, class], …]]` per brand, in order.
    brands: Vec<(String, Option<String>, Vec<ListedModel>)>,
}

/// A model's pattern and class code.
type ListedModel = (String, Option<String>);

/// What a unit is part of: a brand's pattern, or the pattern of a brand's
/// model (by their places in the lists).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Brand(u32),
    Model(u32, u32),
}

struct Unit {
    owner: Owner,
    /// Where the unit's text ends in [`Db::text`] (it starts where the
    /// previous one ends).
    end: u32,
}

struct Brand {
    class: Option<DeviceClass>,
    /// Its models' classes, in order, in [`Db::model_classes`].
    models: Range<u32>,
}

/// Everything a lookup needs, in few large allocations: loading makes and
/// frees many small ones, which would otherwise stay resident as holes
/// between small kept ones.
struct Db {
    units: Vec<Unit>,
    /// The units' texts, one after the other.
    text: String,
    brands: Vec<Brand>,
    model_classes: Vec<Option<DeviceClass>>,
    /// The units' literals, found in an agent in one pass, case aside.
    literals: Option<AhoCorasick>,
    /// The unit of each literal.
    literal_unit: Vec<u32>,
    /// The units without literals: tried on every agent (a handful).
    always: Vec<u32>,
}

/// Compiles the lists now rather than on first use.
pub fn prepare() {
    db();
}

/// What the lists say of an agent's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// The class of the listed device (`None`: a type with no class here).
    pub class: Option<DeviceClass>,
    /// Whether the lists name the model itself, rather than only its maker
    /// (whose class is then the maker's commonest).
    pub model: bool,
}

/// What the lists say of the agent's device, or `None` when no brand's
/// pattern matches.
pub fn lookup(ua: &str) -> Option<Listed> {
    let db = db();
    let mut candidates: Vec<(Owner, u32)> = db.literals.as_ref().map_or_else(Vec::new, |ac| {
        ac.find_overlapping_iter(ua)
            .filter_map(|m| db.literal_unit.get(m.pattern().as_usize()))
            .map(|&unit| (db.units[unit as usize].owner, unit))
            .collect()
    });
    candidates.extend(db.always.iter().map(|&u| (db.units[u as usize].owner, u)));
    candidates.sort_unstable();
    candidates.dedup();
    let matches = |unit: u32| compiled(db, unit).is_match(ua);
    let brand = candidates.iter().find_map(|&(owner, unit)| match owner {
        Owner::Brand(brand) if matches(unit) => Some(brand),
        _ => None,
    })?;
    let entry = db.brands.get(brand as usize)?;
    let model = candidates.iter().find_map(|&(owner, unit)| match owner {
        Owner::Model(b, model) if b == brand && matches(unit) => Some(model),
        _ => None,
    });
    Some(match model {
        Some(model) => Listed {
            class: db
                .model_classes
                .get((entry.models.start + model) as usize)
                .copied()
                .flatten(),
            model: true,
        },
        // A maker listed without models is one model.
        None => Listed {
            class: entry.class,
            model: entry.models.is_empty(),
        },
    })
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(load)
}

fn load() -> Db {
    // The pinned file is checked by a unit test; a broken copy means no
    // database, and the rules alone decide.
    let data: Data = serde_json::from_str(DATA).unwrap_or(Data { brands: Vec::new() });
    let mut db = Db {
        units: Vec::new(),
        text: String::new(),
        brands: Vec::with_capacity(data.brands.len()),
        model_classes: Vec::new(),
        literals: None,
        literal_unit: Vec::new(),
        always: Vec::new(),
    };
    for (b, (pattern, code, models)) in (0u32..).zip(data.brands) {
        db.add_units(Owner::Brand(b), &pattern);
        let first = db.model_classes.len() as u32;
        for (m, (pattern, code)) in (0u32..).zip(models) {
            db.add_units(Owner::Model(b, m), &pattern);
            db.model_classes.push(class(code.as_deref()));
        }
        db.brands.push(Brand {
            class: class(code.as_deref()),
            models: first..db.model_classes.len() as u32,
        });
    }
    // The literals go into one buffer: tens of thousands of small
    // allocations, freed once the automaton is built, would stay resident
    // as holes under what is kept.
    let mut text = Vec::new();
    let mut ends = Vec::new();
    for u in (0u32..).take(db.units.len()) {
        match unit_literals(db.unit_text(u)) {
            Some(found) => {
                db.literal_unit.extend(std::iter::repeat_n(u, found.len()));
                for literal in found {
                    text.extend_from_slice(&literal);
                    ends.push(text.len());
                }
            }
            None => db.always.push(u),
        }
    }
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let literals = starts
        .zip(&ends)
        .filter_map(|(start, &end)| text.get(start..end));
    db.literals = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // Dense states only at the root: ~4 MiB less resident, no slower
        // over the fixtures.
        .dense_depth(1)
        .build(literals)
        .ok();
    db
}

impl Db {
    /// Appends the units of `pattern`, owned by `owner`.
    fn add_units(&mut self, owner: Owner, pattern: &str) {
        for unit in units_of(pattern) {
            self.text.push_str(&unit);
            self.units.push(Unit {
                owner,
                end: self.text.len() as u32,
            });
        }
    }

    /// The text of unit `u`.
    fn unit_text(&self, u: u32) -> &str {
        let end = self.units.get(u as usize).map_or(0, |unit| unit.end);
        let start = (u as usize)
            .checked_sub(1)
            .and_then(|previous| self.units.get(previous))
            .map_or(0, |unit| unit.end);
        self.text.get(start as usize..end as usize).unwrap_or("")
    }
}

fn class(code: Option<&str>) -> Option<DeviceClass> {
    match code? {
        "m" => Some(DeviceClass::Mobile),
        "t" => Some(DeviceClass::Tablet),
        "v" => Some(DeviceClass::Tv),
        "d" => Some(DeviceClass::Desktop),
        _ => None,
    }
}

/// `pattern` as units: its top-level alternatives (`a|b(c|d)|e` → `a`,
/// `b(c|d)`, `e`), and in each long one its largest group of alternatives
/// distributed (`x(?:c|d)y` → `xcy`, `xdy`). The pattern matches where one of
/// its units does, and a small unit is cheap to compile.
pub(super) fn units_of(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Vec<String> = alternatives(pattern)
        .into_iter()
        .rev()
        .map(str::to_owned)
        .collect();
    while let Some(unit) = pending.pop() {
        match distributed(&unit) {
            Some(parts) => pending.extend(parts.into_iter().rev()),
            None => out.push(unit),
        }
    }
    out
}

/// Units longer than this have their largest group of alternatives
/// distributed.
const UNIT_BYTES: usize = 96;

/// `unit` with its largest group of alternatives (one that must match once:
/// not repeated, optional or a look-around) distributed, or `None` when it is
/// short or has no such group. Units with back-references keep their groups.
fn distributed(unit: &str) -> Option<Vec<String>> {
    let bytes = unit.as_bytes();
    let backreference = bytes
        .windows(2)
        .any(|w| w[0] == b'\\' && w[1].is_ascii_digit());
    if bytes.len() <= UNIT_BYTES || backreference {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'(' {
            i = atom_end(bytes, i);
            continue;
        }
        let len = group_len(&bytes[i..]);
        let group = unit.get(i..i + len).unwrap_or("");
        let quantified = matches!(bytes.get(i + len), Some(b'?' | b'*' | b'+' | b'{'));
        let plain = !group.starts_with("(?") || group.starts_with("(?:");
        let split = plain && !quantified && alternatives(group_body(group)).len() > 1;
        if split && best.is_none_or(|(_, longest)| len > longest) {
            best = Some((i, len));
        }
        i += len;
    }
    let (start, len) = best?;
    let (head, group, tail) = (
        unit.get(..start)?,
        unit.get(start..start + len)?,
        unit.get(start + len..)?,
    );
    Some(
        alternatives(group_body(group))
            .into_iter()
            // An alternative has no top-level "|", so it needs no group.
            .map(|alt| format!("{head}{alt}{tail}"))
            .collect(),
    )
}

/// The inside of a group: `(?:a|b)` → `a|b`, `(a|b)` → `a|b`.
fn group_body(group: &str) -> &str {
    let inner = group
        .strip_prefix("(?:")
        .or_else(|| group.strip_prefix('('))
        .unwrap_or(group);
    inner.strip_suffix(')').unwrap_or(inner)
}

/// Where the atom at `i` ends: past an escaped character, a bracketed class
/// or one byte. The scanners below step by atoms, so no escaped or bracketed
/// "(", ")" or "|" counts.
fn atom_end(bytes: &[u8], i: usize) -> usize {
    let end = match bytes.get(i) {
        Some(b'\\') => i + 2,
        Some(b'[') => i + class_len(&bytes[i..]),
        _ => i + 1,
    };
    end.min(bytes.len())
}

/// The length of the bracketed class `bytes` starts with.
fn class_len(bytes: &[u8]) -> usize {
    // "[]…]" and "[^]…]" hold a literal "]" first.
    let mut i = 1;
    if bytes.get(i) == Some(&b'^') {
        i += 1;
    }
    if bytes.get(i) == Some(&b']') {
        i += 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b']' => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The top-level alternatives of `pattern` (`a|b(c|d)|e` → `a`, `b(c|d)`,
/// `e`): the pattern matches where one of them does.
fn alternatives(pattern: &str) -> Vec<&str> {
    let bytes = pattern.as_bytes();
    let mut cuts = Vec::new();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => cuts.push(i),
            _ => {}
        }
        i = atom_end(bytes, i);
    }
    let starts = std::iter::once(0).chain(cuts.iter().map(|c| c + 1));
    let ends = cuts.iter().copied().chain(std::iter::once(bytes.len()));
    // Cuts are at ASCII '|', so every piece is whole UTF-8.
    starts
        .zip(ends)
        .filter_map(|(start, end)| pattern.get(start..end))
        .collect()
}

/// Literals (lower case, at most [`LITERAL_BYTES`]) one of which occurs in
/// every match of `pattern`, or `None` when there is no short list of them.
fn unit_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = parser().parse(&without_look_around(pattern)).ok()?;
    let (_, mut found) = required(&hir)?;
    found.sort();
    found.dedup();
    Some(found)
}

/// A parser of units as they are compiled: bytes, no Unicode classes.
fn parser() -> regex_syntax::Parser {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
}

/// The most telling set of literals one of which every match of `hir`
/// contains, with its score: the starts of its matches, or those of a part
/// every match has (in `Android 10(?:[\d.]*); (?:G50|G71)`, "G50" or "G71"
/// tells far more than "Android 10", which most agents carry).
fn required(hir: &Hir) -> Option<(usize, Vec<Vec<u8>>)> {
    let whole = prefix_literals(hir);
    let parts = match hir.kind() {
        HirKind::Capture(capture) => vec![required(&capture.sub)],
        HirKind::Concat(subs) => subs.iter().map(required).collect(),
        _ => Vec::new(),
    };
    std::iter::once(whole)
        .chain(parts)
        .flatten()
        .max_by_key(|(score, _)| *score)
}

/// The literals every match of `hir` starts with, in lower case and cut to
/// [`LITERAL_BYTES`], scored by the length of the shortest (up to that); a
/// set led by words most agents carry scores nothing.
fn prefix_literals(hir: &Hir) -> Option<(usize, Vec<Vec<u8>>)> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(3)
        .limit_total(1000)
        .extract(hir);
    let literals = seq.literals()?;
    let shortest = literals.iter().map(|l| l.len()).min()?;
    if shortest == 0 {
        return None;
    }
    let common = literals.iter().any(|l| is_common(l.as_bytes()));
    let score = if common {
        0
    } else {
        shortest.min(LITERAL_BYTES)
    };
    let kept = literals
        .iter()
        .map(|l| l.as_bytes()[..l.len().min(LITERAL_BYTES)].to_ascii_lowercase())
        .collect();
    Some((score, kept))
}

/// Whether `literal` begins with a word most agents carry ("Android 10",
/// "; Build", but not "Chromecast").
fn is_common(literal: &[u8]) -> bool {
    let lower = literal.to_ascii_lowercase();
    let word = lower.trim_ascii_start();
    let word = word.strip_prefix(b";").unwrap_or(word).trim_ascii_start();
    COMMON_WORDS.iter().any(|w| {
        word.starts_with(w) && word.get(w.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// Words most agents carry, useless for telling devices apart.
const COMMON_WORDS: &[&[u8]] = &[
    b"android",
    b"linux",
    b"mozilla",
    b"build",
    b"mobile",
    b"safari",
    b"applewebkit",
    b"version",
    b"chrome",
    b"khtml",
];

/// `pattern` with its look-around groups left out. They match no text, so
/// every match of the pattern is a match of what is left: a superset, which
/// starts with the same literals and is a sound filter.
pub(super) fn without_look_around(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if [&b"(?="[..], b"(?!", b"(?<=", b"(?<!"]
            .iter()
            .any(|p| rest.starts_with(p))
        {
            i += group_len(rest);
            continue;
        }
        let end = atom_end(bytes, i);
        out.extend_from_slice(&bytes[i..end]);
        i = end;
    }
    // Whole groups and escapes are cut out, so what is left is still UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// The length of the group `bytes` starts with, escapes and brackets aside.
fn group_len(bytes: &[u8]) -> usize {
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i = atom_end(bytes, i);
    }
    bytes.len()
}

/// One unit, compiled by the engine that can run it.
enum Matcher {
    Plain(regex::bytes::Regex),
    /// A unit with look-around, and the unit without it (a superset of its
    /// matches that the linear-time engine runs first).
    LookAround(Option<regex::bytes::Regex>, fancy_regex::Regex),
    /// A unit neither engine accepts; it never matches.
    Never,
}

impl Matcher {
    fn new(unit: &str) -> Self {
        if let Ok(re) = regex::bytes::Regex::new(&plain(unit)) {
            return Self::Plain(re);
        }
        match fancy_regex::Regex::new(&format!("(?i){ANCHOR}(?:{unit})")) {
            Ok(re) => {
                let superset = regex::bytes::Regex::new(&plain(&without_look_around(unit)));
                Self::LookAround(superset.ok(), re)
            }
            Err(_) => Self::Never,
        }
    }

    fn is_match(&self, ua: &str) -> bool {
        match self {
            Self::Plain(re) => re.is_match(ua.as_bytes()),
            Self::LookAround(superset, re) => {
                superset.as_ref().is_none_or(|s| s.is_match(ua.as_bytes()))
                    // A unit over the backtracking limit is taken as no match.
                    && re.is_match(ua).unwrap_or(false)
            }
            Self::Never => false,
        }
    }
}

fn plain(unit: &str) -> String {
    format!("(?i-u){ANCHOR}(?:{unit})")
}

/// Compiled units, up to [`COMPILED_BYTES`] of their text. Most traffic comes
/// from a few brands, whose units stay compiled; an agent of a rare one pays
/// for compiling its few small units again.
struct Compiled {
    by_unit: HashMap<u32, Arc<Matcher>>,
    text_bytes: usize,
}

fn compiled(db: &Db, unit: u32) -> Arc<Matcher> {
    static COMPILED: LazyLock<Mutex<Compiled>> = LazyLock::new(|| {
        Mutex::new(Compiled {
            by_unit: HashMap::new(),
            text_bytes: 0,
        })
    });
    let text = db.unit_text(unit);
    // A poisoned lock means another thread panicked holding it; the map is
    // whole at every step, so it is used as it is.
    let mut cache = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = cache.by_unit.get(&unit) {
        return Arc::clone(found);
    }
    let made = Arc::new(Matcher::new(text));
    if cache.text_bytes + text.len() > COMPILED_BYTES {
        cache.by_unit.clear();
        cache.text_bytes = 0;
    }
    cache.text_bytes += text.len();
    cache.by_unit.insert(unit, Arc::clone(&made));
    made
}

/// How many brands the pinned lists hold, how many units neither engine
/// compiles (the unit tests want none), and how many are tried on every agent.
#[cfg(test)]
pub(super) fn uncompiled_and_always() -> (usize, usize, usize) {
    let db = db();
    // Parsing tells which engine takes a unit; only the few the `regex`
    // crate cannot parse are compiled here (compiling all takes long in a
    // debug build).
    let parses = |text: &str| parser().parse(&plain(text)).is_ok();
    let never = (0u32..)
        .take(db.units.len())
        .map(|u| db.unit_text(u))
        .filter(|text| !parses(text) && matches!(Matcher::new(text), Matcher::Never))
        .count();
    (
        db.brands.len(),
        never + usize::from(db.literals.is_none()),
        db.always.len(),
    )
}
