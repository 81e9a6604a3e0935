//! `cargo run -p xtask -- [OUT_DIR]`: writes the man pages and shell
//! completions the Debian package ships (see the library) into OUT_DIR,
//! `deploy/generated` by default, where `ingestd/Cargo.toml`'s
//! `[package.metadata.deb]` assets expect them.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let out = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        // The workspace root, wherever cargo is run from.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/generated"),
    };
    for path in xtask::write_all(&out)? {
        println!("{}", path.display());
    }
    Ok(())
}
