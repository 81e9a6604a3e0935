//! Where the views file is, reading it, and writing it atomically.

use super::{check_name, decode, encode, Book, Problem, SavedView};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable naming the views file (`--views-file`).
pub const VIEWS_FILE_ENV: &str = "ANALYTICS_VIEWS_FILE";

/// The largest views file read (a views file is a few kilobytes).
const MAX_BYTES: u64 = 1 << 20;

/// The views file: `given` (`--views-file` / `ANALYTICS_VIEWS_FILE`), else
/// `analytics-tui/views.toml` in the user's configuration directory
/// (`$XDG_CONFIG_HOME`, else `~/.config`). `None` when there is no home to
/// find it in.
pub fn location(given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(path) if !path.as_os_str().is_empty() => Some(path.to_owned()),
        _ => dirs::config_dir().map(|dir| dir.join("analytics-tui").join("views.toml")),
    }
}

/// Reads the views file. A missing file holds no views; one that cannot be
/// read or parsed gives a book with its problem, never an error.
pub fn load(path: &Path) -> Book {
    match read(path) {
        Ok(Some(text)) => decode::parse(path.to_owned(), &text),
        Ok(None) => Book::empty(path.to_owned()),
        Err(message) => Book {
            problems: vec![Problem {
                entry: None,
                line: None,
                message,
            }],
            ..Book::empty(path.to_owned())
        },
    }
}

/// Saves `view` as `name` into the file as it is now on disk (so what another
/// console or an editor wrote meanwhile is kept), and returns the file as
/// written. A file that does not parse is left alone: the error names its line.
pub fn save(path: &Path, name: &str, view: &SavedView) -> Result<Book, String> {
    let name = check_name(name)?;
    // A views file linked from elsewhere (a dotfiles repository) stays a link.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let text = read(&target)
        .map_err(|e| format!("{} {e}", path.display()))?
        .unwrap_or_default();
    let mut doc = match toml_edit::Document::parse(text.as_str()) {
        Ok(doc) => doc.into_mut(),
        Err(_) => {
            let book = decode::parse(path.to_owned(), &text);
            let problem = book.problem_summary().unwrap_or_default();
            return Err(format!("{problem} (fix the file, then save again)"));
        }
    };
    encode::upsert(&mut doc, name, view).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = doc.to_string();
    write_atomically(&target, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(decode::parse(path.to_owned(), &text))
}

/// The file's text; `None` if there is no file. The error says what is
/// wrong with the file, without naming it.
fn read(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    if !meta.is_file() {
        return Err("is not a file".into());
    }
    if meta.len() > MAX_BYTES {
        return Err("is over 1 MiB: not a views file".into());
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err("is not UTF-8 text".into()),
        Err(e) => Err(format!("cannot be read: {e}")),
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and
/// renames it over `path`, so the file is always either the old one or the
/// new one, never half written. The directory is created if needed; the old
/// file's permissions are kept.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let file_name = path
        .file_name()
        .map_or_else(|| "views.toml".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
        return written;
    }
    // The rename itself is durable once the directory is; best effort.
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::View;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_location_is_the_one_given_or_the_config_directory() {
        let given = Path::new("/tmp/my-views.toml");
        assert_eq!(location(Some(given)), Some(given.to_owned()));
        if let Some(path) = location(None) {
            assert!(path.ends_with("analytics-tui/views.toml"), "{path:?}");
        }
        assert_eq!(location(Some(Path::new(""))), location(None));
    }

    #[test]
    fn a_missing_file_holds_no_views_and_saving_creates_it() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let path = dir.join("sub").join("views.toml");
        let book = load(&path);
        assert_eq!(book, Book::empty(path.clone()));
        let saved = save(&path, "live", &SavedView::of(View::Live));
        let saved = saved.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(saved, load(&path));
        assert!(saved.get("live").is_some());
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers, ["views.toml"], "no temporary file is left");
    }

    #[test]
    fn a_broken_file_is_reported_and_never_overwritten() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let path = dir.join("views.toml");
        let broken = "[views.a]\nview = \"pages\"\nrange = 7d\n";
        std::fs::write(&path, broken).unwrap_or_else(|e| panic!("{e}"));
        let book = load(&path);
        assert_eq!(book.problems.len(), 1);
        assert_eq!(book.problems[0].line, Some(3));
        let Err(error) = save(&path, "b", &SavedView::of(View::Live)) else {
            panic!("saving into a broken file")
        };
        assert!(error.contains("line 3"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(broken));
    }

    #[test]
    fn unreadable_files_are_problems_not_errors() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let book = load(dir);
        assert!(book.problems[0].message.contains("not a file"), "{book:?}");
        let path = dir.join("views.toml");
        std::fs::write(&path, [0xff, 0xfe, b'\n']).unwrap_or_else(|e| panic!("{e}"));
        let book = load(&path);
        assert!(book.problems[0].message.contains("UTF-8"), "{book:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_file_stays_a_link() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let real = dir.join("dotfiles-views.toml");
        std::fs::write(&real, "# mine\n").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.join("views.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap_or_else(|e| panic!("{e}"));
        let saved = save(&link, "p", &SavedView::of(View::Pages));
        assert!(saved.is_ok(), "{saved:?}");
        assert!(std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
        let text = std::fs::read_to_string(&real).unwrap_or_default();
        assert!(
            text.starts_with("# mine\n") && text.contains("[views.p]"),
            "{text}"
        );
    }

    #[test]
    fn bad_names_are_refused_before_the_file_is_touched() {
        let tmp = temp_dir();
        let dir = tmp.path();
        let path = dir.join("views.toml");
        assert!(save(&path, "a/b", &SavedView::of(View::Pages)).is_err());
        assert!(!path.exists());
    }
}
