//! Shell completions for bash, zsh and fish, written by clap_complete from
//! the same clap definitions the binaries parse, under the names each
//! shell's completion loader looks for.

use crate::Generated;
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::PathBuf;

/// The shells the package ships completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Every script, as `completions/SHELL/FILE`.
pub fn scripts() -> Vec<Generated> {
    let commands = [
        ingestd::Config::command(),
        tui::cli::Cli::command().disable_help_subcommand(true),
    ];
    let mut scripts = Vec::new();
    for mut command in commands {
        let name = command.get_name().to_owned();
        for shell in SHELLS {
            let mut contents = Vec::new();
            clap_complete::generate(shell, &mut command, &name, &mut contents);
            scripts.push(Generated {
                path: PathBuf::from("completions")
                    .join(shell.to_string())
                    .join(file_name(shell, &name)),
                contents,
            });
        }
    }
    scripts
}

/// bash-completion loads `NAME`, zsh `_NAME`, fish `NAME.fish`.
pub fn file_name(shell: Shell, command: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{command}"),
        Shell::Fish => format!("{command}.fish"),
        _ => command.to_owned(),
    }
}
