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
    Bash(ShellOptions),
    /// Generate the completion script for fish
    Fish(ShellOptions),
    /// Generate the completion script for powershell
    Powershell(ShellOptions),
    /// Generate the completion script for zsh
    Zsh(ShellOptions),
}

/// The flag skopeo's (cobra's) completion commands take.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct ShellOptions {
    #[arg(long = "no-descriptions", help = "disable completion descriptions")]
    pub no_descriptions: bool,
}

/// The shells a script is generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    Bash,
    Fish,
    Powershell,
    Zsh,
}

impl ShellKind {
    pub const ALL: [ShellKind; 4] = [
        ShellKind::Bash,
        ShellKind::Fish,
        ShellKind::Powershell,
        ShellKind::Zsh,
    ];

    /// The subcommand of `completion` that prints this shell's script.
    pub fn name(self) -> &'static str {
        match self {
            ShellKind::Bash => "bash",
            ShellKind::Fish => "fish",
            ShellKind::Powershell => "powershell",
            ShellKind::Zsh => "zsh",
        }
    }

    /// The name the script is committed under in `completions/` (what each shell looks for).
    pub fn file_name(self) -> &'static str {
        match self {
            ShellKind::Bash => "skiff.bash",
            ShellKind::Fish => "skiff.fish",
            ShellKind::Powershell => "_skiff.ps1",
            ShellKind::Zsh => "_skiff",
        }
    }

    /// The completion script for this shell, with or without the commands' and flags'
    /// descriptions.
    pub fn script(self, descriptions: bool) -> Vec<u8> {
        let shell = match self {
            ShellKind::Bash => Shell::Bash,
            ShellKind::Fish => Shell::Fish,
            ShellKind::Powershell => Shell::PowerShell,
            ShellKind::Zsh => Shell::Zsh,
        };
        let mut cmd = super::Cli::command();
        if !descriptions {
            cmd = without_descriptions(cmd);
        }
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "skiff", &mut out);
        out
    }
}

/// `cmd` and its subcommands with no help texts, which the scripts would offer.
fn without_descriptions(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let cmd = cmd
        .about(None::<&str>)
        .long_about(None::<&str>)
        .mut_args(|a| a.help(None::<&str>).long_help(None::<&str>));
    names
        .iter()
        .fold(cmd, |c, name| c.mut_subcommand(name, without_descriptions))
}

impl CompletionArgs {
    pub fn run(self) -> Result<()> {
        use std::io::Write;
        let mut stdout = crate::stdio::stdout();
        let (kind, options) = match self.shell {
            Some(CompletionShell::Bash(o)) => (ShellKind::Bash, o),
            Some(CompletionShell::Fish(o)) => (ShellKind::Fish, o),
            Some(CompletionShell::Powershell(o)) => (ShellKind::Powershell, o),
            Some(CompletionShell::Zsh(o)) => (ShellKind::Zsh, o),
            // As skopeo: no shell named, the command's help.
            None => {
                let mut cli = super::Cli::command();
                cli.build();
                let cmd = cli
                    .find_subcommand_mut("completion")
                    .expect("completion is a subcommand");
                write!(stdout, "{}", cmd.render_help())?;
                stdout.flush()?;
                return Ok(());
            }
        };
        stdout.write_all(&kind.script(!options.no_descriptions))?;
        stdout.flush()?;
        Ok(())
    }
}
