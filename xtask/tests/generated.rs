//! The generated man pages and completions against the clap definitions they
//! come from, and against the systemd unit that names the daemon's page.

use clap::CommandFactory;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn files() -> BTreeMap<PathBuf, String> {
    xtask::generate()
        .expect("generate")
        .into_iter()
        .map(|f| (f.path, String::from_utf8(f.contents).expect("UTF-8")))
        .collect()
}

/// How roff writes a text: dashes escaped.
fn roff(text: &str) -> String {
    text.replace('\\', r"\\").replace('-', r"\-")
}

fn page<'a>(files: &'a BTreeMap<PathBuf, String>, name: &str) -> &'a str {
    files
        .get(&PathBuf::from("man").join(name))
        .unwrap_or_else(|| panic!("no man page {name}; have {:?}", files.keys()))
}

#[test]
fn ingestd_page_is_in_section_8_with_every_option_and_variable() {
    let files = files();
    let page = page(&files, "ingestd.8");
    assert!(page.contains(".TH ingestd 8"), "{page}");
    let command = ingestd::Config::command();
    let mut options = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        options += 1;
        assert!(
            page.contains(&roff(&format!("--{long}"))),
            "--{long} missing from ingestd.8"
        );
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy();
            assert!(page.contains(&roff(&env)), "{env} missing from ingestd.8");
        }
    }
    assert!(options > 10, "only {options} options found");
    for path in [
        xtask::man::DEFAULT_FILE,
        xtask::man::STATE_DIRECTORY,
        xtask::man::UNIT,
    ] {
        assert!(page.contains(&roff(path)), "{path} missing from FILES");
    }
}

#[test]
fn analytics_tui_has_a_page_per_subcommand_and_the_key_table() {
    let files = files();
    let main = page(&files, "analytics-tui.1");
    assert!(main.contains(".TH analytics-tui 1"), "{main}");
    for binding in tui::keys::BINDINGS {
        assert!(
            main.contains(&format!(r"\fB{}\fR", roff(binding.label))),
            "key {} missing from KEYS",
            binding.label
        );
    }
    assert!(
        main.contains(&roff(xtask::man::VIEWS_FILE)),
        "the views file missing from FILES"
    );
    let command = tui::cli::Cli::command();
    let subcommands: Vec<_> = command.get_subcommands().collect();
    assert!(subcommands.len() >= 8, "{} subcommands", subcommands.len());
    for sub in subcommands {
        let name = format!("analytics-tui-{}", sub.get_name());
        let page = page(&files, &format!("{name}.1"));
        assert!(
            main.contains(&roff(&format!("{name}(1)"))),
            "{name}(1) not listed"
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                let option = roff(&format!("--{long}"));
                assert!(page.contains(&option), "--{long} missing from {name}.1");
            }
        }
        // The global options reach every subcommand's page.
        assert!(page.contains(r"\-\-db"), "--db missing from {name}.1");
    }
    assert!(
        !files.keys().any(|p| p.ends_with("analytics-tui-help.1")),
        "a page for the help subcommand"
    );
}

/// The unit's `Documentation=` names a page the package ships, and its paths
/// are the ones the pages describe.
#[test]
fn unit_names_the_generated_page_and_the_documented_paths() {
    let unit_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/ingestd.service");
    let unit = std::fs::read_to_string(unit_path).expect("read the unit");
    let value = |key: &str| -> Vec<&str> {
        unit.lines()
            .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .collect()
    };
    let files = files();
    let documentation = value("Documentation");
    assert!(!documentation.is_empty());
    for doc in documentation.iter().flat_map(|d| d.split_whitespace()) {
        let page = doc.strip_prefix("man:").expect("a man: URI");
        let (name, section) = page
            .strip_suffix(')')
            .and_then(|p| p.split_once('('))
            .expect("NAME(SECTION)");
        let file = PathBuf::from("man").join(format!("{name}.{section}"));
        assert!(files.contains_key(&file), "{doc} is not generated");
    }
    assert_eq!(
        value("EnvironmentFile"),
        [format!("-{}", xtask::man::DEFAULT_FILE)]
    );
    let state = xtask::man::STATE_DIRECTORY
        .strip_prefix("/var/lib/")
        .expect("under /var/lib");
    assert_eq!(value("StateDirectory"), [state]);
    assert_eq!(value("ExecStart"), ["/usr/bin/ingestd"]);
}

#[test]
fn bash_completions_load_and_register_each_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    xtask::write_all(dir.path()).expect("write");
    for command in ["ingestd", "analytics-tui"] {
        let script = dir.path().join("completions/bash").join(command);
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "set -e; source {}; complete -p {command}",
                script.display()
            ))
            .output()
            .expect("run bash");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.trim_end().ends_with(command),
            "{command}: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn zsh_and_fish_completions_name_their_command_and_options() {
    let files = files();
    let completion = |path: &str| {
        files
            .get(&PathBuf::from(path))
            .unwrap_or_else(|| panic!("no {path}"))
    };
    let zsh = completion("completions/zsh/_ingestd");
    assert!(zsh.starts_with("#compdef ingestd"), "{zsh}");
    assert!(zsh.contains("--trusted-proxy"));
    let fish = completion("completions/fish/analytics-tui.fish");
    assert!(fish.contains("complete -c analytics-tui"), "{fish}");
    assert!(fish.contains("delete-visitor"));
    let zsh = completion("completions/zsh/_analytics-tui");
    assert!(zsh.starts_with("#compdef analytics-tui"), "{zsh}");
    let fish = completion("completions/fish/ingestd.fish");
    assert!(fish.contains("-l retention-days"), "{fish}");
}

#[test]
fn writing_replaces_what_a_previous_run_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("generated");
    let stale = out.join("man/analytics-tui-gone.1");
    std::fs::create_dir_all(stale.parent().expect("parent")).expect("mkdir");
    std::fs::write(&stale, "old").expect("write");
    let written = xtask::write_all(&out).expect("write_all");
    assert!(!stale.exists(), "stale page kept");
    let expected = files();
    assert_eq!(written.len(), expected.len());
    for (path, contents) in expected {
        let on_disk = std::fs::read_to_string(out.join(&path)).expect("read back");
        assert_eq!(on_disk, contents, "{}", path.display());
    }
}
