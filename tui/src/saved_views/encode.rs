//! One saved view written into the views file, in place.
//!
//! The file as it is on disk is edited with `toml_edit`, not rewritten: the
//! other entries, comments, the order of keys and how values were written stay
//! as they were. Within the entry saved:
//!
//! - the keys the console owns (`view`, `range`, `filters`, the sorts, the
//!   heatmap's page and segment, the journey's session, the funnel's steps,
//!   the paths' start) are set, or removed when the console's state leaves
//!   them at their default; a value that did not change is left exactly as
//!   written;
//! - keys this version does not know are left as they are, inside `filters`
//!   too.

use super::SavedView;
use serde::Serialize;
use shared::store::query::{Filter, Sort};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// Writes `view` as entry `name` of `doc`'s `views`, creating either as needed.
pub(super) fn upsert(doc: &mut DocumentMut, name: &str, view: &SavedView) -> Result<(), String> {
    // The comments of a file without entries stay above the first one.
    let mut leading = None;
    if doc.as_table().is_empty() {
        leading = doc.trailing().as_str().map(str::to_owned);
        doc.set_trailing("");
    }
    let root = doc.as_table_mut();
    if !root.contains_key("views") {
        let mut views = Table::new();
        views.set_implicit(true);
        root.insert("views", Item::Table(views));
    }
    let views = root
        .get_mut("views")
        .and_then(Item::as_table_like_mut)
        .ok_or("`views` in the file is not a table of views")?;
    if !views.get(name).is_some_and(Item::is_table_like) {
        let mut table = Table::new();
        if let Some(comments) = leading {
            table.decor_mut().set_prefix(comments);
        }
        views.insert(name, Item::Table(table));
    }
    let entry = views
        .get_mut(name)
        .and_then(Item::as_table_like_mut)
        .ok_or("the entry could not be written")?;
    write_entry(entry, view);
    Ok(())
}

fn write_entry(entry: &mut dyn TableLike, view: &SavedView) {
    let string = |s: &str| Value::from(s);
    put(
        entry,
        "view",
        Some(string(&view.view.title().to_lowercase())),
    );
    put(entry, "range", view.range.map(|r| string(&r.spec())));
    write_filters(entry, &view.filter);
    put(entry, "sessions_sort", view.sessions_sort.map(sort_value));
    put(entry, "pages_sort", view.pages_sort.map(sort_value));
    let page = view.heatmap_page.as_ref();
    put(entry, "heatmap_page", page.map(|p| string(p.as_str())));
    let segment = view.heatmap_segment;
    put(
        entry,
        "heatmap_segment",
        segment.map(|s| string(s.as_str())),
    );
    let session = view.session.as_ref();
    put(entry, "session", session.map(|s| string(&s.session_id)));
    let site = session.and_then(|s| s.site.as_deref());
    put(entry, "session_site", site.map(string));
    let steps = view.funnel_steps.as_ref();
    put(
        entry,
        "funnel_steps",
        steps.map(|s| Value::Array(Array::from_iter(s))),
    );
    put(entry, "path_start", view.path_start.as_deref().map(string));
}

/// The filter's conditions as the `filters` keys (every known key, `None`
/// where unset).
fn filter_values(filter: &Filter) -> [(&'static str, Option<Value>); 12] {
    let text = |s: &Option<String>| s.as_deref().map(Value::from);
    let pattern =
        |p: &Option<shared::page_key::PagePattern>| p.as_ref().map(|p| Value::from(p.as_str()));
    [
        ("site", text(&filter.site)),
        ("device", filter.device.map(|d| Value::from(d.as_str()))),
        ("browser", text(&filter.browser)),
        ("referrer", text(&filter.referrer)),
        ("entry_page", pattern(&filter.entry_page)),
        (
            "min_duration",
            filter
                .min_duration_ms
                .map(|ms| Value::from(crate::filters::span_label(ms))),
        ),
        (
            "min_events",
            filter.min_events.map(|n| Value::from(i64::from(n))),
        ),
        ("bounced", filter.bounced.map(Value::from)),
        ("rage", filter.has_rage_clicks.map(Value::from)),
        ("clicked_page", pattern(&filter.clicked_page)),
        ("quick_backs", filter.has_quick_backs.map(Value::from)),
        ("dead_end", filter.dead_end.map(Value::from)),
    ]
}

/// Writes the `filters` table: into the one there (a table or an inline
/// table, keeping its unknown keys), or as a new inline table; none at all
/// when nothing is set and nothing unknown is in it.
fn write_filters(entry: &mut dyn TableLike, filter: &Filter) {
    let values = filter_values(filter);
    if let Some(table) = entry.get_mut("filters").and_then(Item::as_table_like_mut) {
        for (key, value) in values {
            put(table, key, value);
        }
        if !table.is_empty() {
            return;
        }
        entry.remove("filters");
        return;
    }
    let mut table = InlineTable::new();
    for (key, value) in values {
        if let Some(value) = value {
            table.insert(key, value);
        }
    }
    let value = (!table.is_empty()).then_some(Value::InlineTable(table));
    put(entry, "filters", value);
}

/// `duration desc`.
fn sort_value<K: Serialize>(sort: Sort<K>) -> Value {
    let key = serde_json::to_value(sort.key)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let direction = if sort.descending { "desc" } else { "asc" };
    Value::from(format!("{key} {direction}"))
}

/// Sets `key` to `value`, or removes it for `None`. An equal value is left
/// as written; a changed one keeps the old one's comment.
fn put(table: &mut dyn TableLike, key: &str, value: Option<Value>) {
    let Some(mut value) = value else {
        table.remove(key);
        return;
    };
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            if same(old, &value) {
                return;
            }
            *value.decor_mut() = old.decor().clone();
            *old = value;
        }
        // Replaced in place, so the key and the comments above it stay.
        Some(item) => *item = Item::Value(value),
        None => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Whether two values say the same, however each is written.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a.value() == b.value(),
        (Value::Integer(a), Value::Integer(b)) => a.value() == b.value(),
        (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| same(a, b))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::filters::Range;
    use crate::view::View;
    use shared::event::DeviceClass;

    fn upserted(text: &str, name: &str, view: &SavedView) -> String {
        let mut doc: DocumentMut = text.parse().unwrap_or_else(|e| panic!("{e}"));
        upsert(&mut doc, name, view).unwrap_or_else(|e| panic!("{e}"));
        doc.to_string()
    }

    fn mobile_sessions() -> SavedView {
        let mut view = SavedView::of(View::Sessions);
        view.range = Range::parse("7d");
        view.filter.device = Some(DeviceClass::Mobile);
        view.filter.has_rage_clicks = Some(true);
        view
    }

    #[test]
    fn a_new_file_gets_a_compact_entry() {
        let text = upserted("", "mobile rage", &mobile_sessions());
        assert_eq!(
            text,
            "[views.\"mobile rage\"]\nview = \"sessions\"\nrange = \"7d\"\n\
             filters = { device = \"mobile\", rage = true }\n"
        );
    }

    #[test]
    fn an_entry_reads_back_as_it_was_saved() {
        let mut view = mobile_sessions();
        view.filter.entry_page = Some(shared::page_key::PagePattern::new("/blog/*"));
        view.filter.min_duration_ms = Some(300_000);
        view.filter.min_events = Some(4);
        view.filter.bounced = Some(false);
        view.sessions_sort = Some(crate::sort_order::session(
            shared::store::query::SessionSortKey::Referrer,
        ));
        view.heatmap_page = Some(shared::page_key::PagePattern::new("/pricing"));
        view.heatmap_segment = Some(shared::store::query::WidthSegment::Tablet);
        view.funnel_steps = Some(vec!["page:/pricing*".into(), "event:signup".into()]);
        view.path_start = Some("/".into());
        let text = upserted("", "all", &view);
        let book = parse("views.toml".into(), &text);
        assert_eq!(book.problems, [], "{text}");
        assert_eq!(book.get("all"), Some(&view), "{text}");
    }

    #[test]
    fn comments_other_entries_and_unknown_keys_survive() {
        let before = "\
# Saved views of the console.
theme = \"dark\"   # a setting of some later version

[views.first]
view = \"pages\"
pages_sort = 'visitors desc'   # by people
colour = \"blue\"

[views.second]
# the mobile one
view = \"overview\"
range = \"24h\"
filters = { device = \"tablet\", flavour = \"x\" }
funnel_steps = [\"page:/\", \"event:signup\"]
";
        let text = upserted(before, "second", &mobile_sessions());
        let expected = "\
# Saved views of the console.
theme = \"dark\"   # a setting of some later version

[views.first]
view = \"pages\"
pages_sort = 'visitors desc'   # by people
colour = \"blue\"

[views.second]
# the mobile one
view = \"sessions\"
range = \"7d\"
filters = { device = \"mobile\", flavour = \"x\" , rage = true }
";
        assert_eq!(text, expected);
    }

    #[test]
    fn cleared_settings_are_removed_and_equal_values_untouched() {
        let before = "[views.x]\nview = 'sessions'\nrange = '7d'\nfilters = { device = 'mobile' }\nsessions_sort = \"duration desc\"\n";
        let mut view = SavedView::of(View::Sessions);
        view.range = Range::parse("7d");
        let text = upserted(before, "x", &view);
        assert_eq!(text, "[views.x]\nview = 'sessions'\nrange = '7d'\n");
    }

    #[test]
    fn a_filters_table_of_its_own_is_edited_in_place() {
        let before = "[views.x]\nview = \"pages\"\n\n[views.x.filters]\nbrowser = \"Firefox\"\nmood = \"calm\"\n";
        let mut view = SavedView::of(View::Pages);
        view.filter.device = Some(DeviceClass::Desktop);
        let text = upserted(before, "x", &view);
        assert_eq!(
            text,
            "[views.x]\nview = \"pages\"\n\n[views.x.filters]\nmood = \"calm\"\ndevice = \"desktop\"\n"
        );
    }

    #[test]
    fn the_comments_of_an_empty_file_stay_on_top() {
        let text = upserted("# my views\n\n", "b", &SavedView::of(View::Pages));
        assert_eq!(text, "# my views\n\n[views.b]\nview = \"pages\"\n");
    }

    #[test]
    fn a_new_entry_goes_after_the_others() {
        let before = "[views.a]\nview = \"live\"\n";
        let text = upserted(before, "b", &SavedView::of(View::Pages));
        assert_eq!(
            text,
            "[views.a]\nview = \"live\"\n\n[views.b]\nview = \"pages\"\n"
        );
    }

    #[test]
    fn an_inline_views_table_takes_inline_entries() {
        let before = "views = { a = { view = \"live\" } }\n";
        let text = upserted(before, "b", &SavedView::of(View::Pages));
        let book = parse("views.toml".into(), &text);
        assert_eq!(book.problems, [], "{text}");
        assert_eq!(book.entries.len(), 2, "{text}");
    }

    #[test]
    fn views_that_are_not_a_table_are_not_overwritten() {
        let mut doc: DocumentMut = "views = 3\n".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(upsert(&mut doc, "a", &SavedView::of(View::Pages)).is_err());
        assert_eq!(doc.to_string(), "views = 3\n");
    }
}
