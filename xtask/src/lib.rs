//! Files generated from the clap definitions for the Debian package: the man
//! pages ([`man`]) and the bash, zsh and fish completions ([`completions`]) of
//! `ingestd` and `analytics-tui`. They are generated at packaging time rather
//! than committed, so they cannot drift from the options the binaries take.
//!
//! [`generate`] returns every file with its path under the output directory
//! (`man/…`, `completions/{bash,zsh,fish}/…`); [`write_all`] writes them.

pub mod completions;
pub mod man;

use anyhow::Context;
use std::path::{Path, PathBuf};

/// One generated file: its path relative to the output directory, and its bytes.
#[derive(Debug, Clone)]
pub struct Generated {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Every man page and completion script.
pub fn generate() -> anyhow::Result<Vec<Generated>> {
    let mut files = man::pages()?;
    files.extend(completions::scripts());
    Ok(files)
}

/// Writes [`generate`]'s files under `out`, replacing what a previous run left
/// there (a page for a subcommand that no longer exists must not be packaged).
pub fn write_all(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    match std::fs::remove_dir_all(out) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot clear {}", out.display()));
        }
        _ => {}
    }
    let mut written = Vec::new();
    for file in generate()? {
        let path = out.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
