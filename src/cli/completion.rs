//! `skiff completion bash|zsh|fish|powershell`: the shell completion script for the whole
//! command tree, on stdout, as `skopeo completion SHELL` prints skopeo's.

use anyhow::Result;
use clap::{Args, CommandFactory, Subcommand};
use clap_complete::Shell;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  source <(skiff completion bash)\n  skiff completion zsh > \"${fpath[1]}/_skiff\"\n  skiff completion fish > ~/.config/fish/completions/skiff.fish"
)]
pub struct CompletionArgs {
    #[command(subcommand)]
    pub shell: Option<CompletionShell>,
}

#[derive(Subcommand, Debug, Clone, Copy)]
pub enum CompletionShell {
    /// Generate the completion script for bash
    Bash,
    /// Generate the completion script for fish
    Fish,
    /// Generate the completion script for powershell
    Powershell,
    /// Generate the completion script for zsh
    Zsh,
}

impl CompletionShell {
    pub const ALL: [CompletionShell; 4] = [
        CompletionShell::Bash,
        CompletionShell::Fish,
        CompletionShell::Powershell,
        CompletionShell::Zsh,
    ];

    fn shell(self) -> Shell {
        match self {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Fish => Shell::Fish,
            CompletionShell::Powershell => Shell::PowerShell,
            CompletionShell::Zsh => Shell::Zsh,
        }
    }

    /// The name the script is committed under in `completions/` (what each shell looks for).
    pub fn file_name(self) -> &'static str {
        match self {
            CompletionShell::Bash => "skiff.bash",
            CompletionShell::Fish => "skiff.fish",
            CompletionShell::Powershell => "_skiff.ps1",
            CompletionShell::Zsh => "_skiff",
        }
    }

    /// The completion script for this shell.
    pub fn script(self) -> Vec<u8> {
        let mut out = Vec::new();
        clap_complete::generate(self.shell(), &mut super::Cli::command(), "skiff", &mut out);
        out
    }
}

impl CompletionArgs {
    pub fn run(self) -> Result<()> {
        use std::io::Write;
        let mut stdout = crate::stdio::stdout();
        match self.shell {
            Some(shell) => stdout.write_all(&shell.script())?,
            // As skopeo: no shell named, the command's help.
            None => {
                let mut cli = super::Cli::command();
                cli.build();
                let cmd = cli
                    .find_subcommand_mut("completion")
                    .expect("completion is a subcommand");
                write!(stdout, "{}", cmd.render_help())?;
            }
        }
        stdout.flush()?;
        Ok(())
    }
}
