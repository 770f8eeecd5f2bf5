//! Parsing the command line with only the subcommand it names. clap builds every subcommand
//! of a derived tree (and copies the global flags into each) before it looks at the
//! arguments; for a short command such as `inspect` of a local archive that is a good part
//! of its run. A command line that plainly names its subcommand gets a tree with that one
//! alone; anything else (help, no subcommand, an error) is parsed against the whole tree,
//! so the output and errors stay the whole tree's.

use std::ffi::OsString;

use clap::{Args, FromArgMatches, Parser};

use super::{Cli, GlobalFlags};

/// Parses `args` (program name first).
pub fn parse_from(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let root = GlobalFlags::augment_args(clap::Command::new("skiff").disable_version_flag(true));
    if let Some(cli) = named_subcommand(&root, &args)
        .and_then(|name| subcommand_alone(&name))
        .and_then(|sub| parse_with(root, sub, &args))
    {
        return Ok(cli);
    }
    Cli::try_parse_from(args)
}

/// `root` with `sub` as its only subcommand, and `args` parsed against it; `None` when
/// they do not parse (the whole tree then words the error).
fn parse_with(root: clap::Command, sub: clap::Command, args: &[OsString]) -> Option<Cli> {
    let matches = root.subcommand(sub).try_get_matches_from(args).ok()?;
    Cli::from_arg_matches(&matches).ok()
}

/// One subcommand's flags, without the help texts the whole tree carries.
fn subcommand_alone(name: &str) -> Option<clap::Command> {
    use super::*;
    let c = clap::Command::new(name.to_string());
    Some(match name {
        "copy" => copy::CopyArgs::augment_args(c),
        "delete" => delete::DeleteArgs::augment_args(c),
        "generate-sigstore-key" => other::GenerateSigstoreKeyArgs::augment_args(c),
        "inspect" => inspect::InspectArgs::augment_args(c),
        "list-tags" => list_tags::ListTagsArgs::augment_args(c),
        "login" => login::LoginArgs::augment_args(c),
        "logout" => logout::LogoutArgs::augment_args(c),
        "manifest-digest" => manifest_digest::ManifestDigestArgs::augment_args(c),
        "standalone-sign" => other::StandaloneSignArgs::augment_args(c),
        "standalone-verify" => other::StandaloneVerifyArgs::augment_args(c),
        "sync" => sync::SyncArgs::augment_args(c),
        "untrusted-signature-dump-without-verification" => {
            other::UntrustedSignatureDumpArgs::augment_args(c)
        }
        _ => return None,
    })
}

/// The first word that is not one of `root`'s (global) flags or its value; `None` when help
/// is asked for anywhere, or when arguments end before a word.
fn named_subcommand(root: &clap::Command, args: &[OsString]) -> Option<String> {
    let takes_value = |flag: &str| {
        root.get_arguments().any(|a| {
            a.get_long() == Some(flag)
                && a.get_action().takes_values()
                && !a.is_require_equals_set()
        })
    };
    if args.iter().skip(1).any(|a| a == "-h" || a == "--help") {
        return None;
    }
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        let word = word.to_str()?;
        if word == "--" {
            return None;
        }
        match word.strip_prefix("--") {
            Some(flag) if !flag.contains('=') && takes_value(flag) => {
                words.next();
            }
            Some(_) => {}
            None if word.starts_with('-') => {}
            None => return Some(word.to_string()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn args(words: &[&str]) -> Vec<OsString> {
        std::iter::once("skiff")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn every_subcommand_alone_has_the_whole_trees_flags() {
        let whole = Cli::command();
        for sub in whole.get_subcommands() {
            let name = sub.get_name();
            let alone = subcommand_alone(name).unwrap_or_else(|| panic!("{name} missing"));
            let ids = |c: &clap::Command| {
                let mut v: Vec<String> =
                    c.get_arguments().map(|a| a.get_id().to_string()).collect();
                v.sort();
                v
            };
            let whole_ids: Vec<String> = ids(sub)
                .into_iter()
                .filter(|id| !["help"].contains(&id.as_str()))
                .collect();
            assert_eq!(ids(&alone), whole_ids, "{name}");
        }
    }

    #[test]
    fn subcommand_is_found_past_global_flags_and_their_values() {
        let root = GlobalFlags::augment_args(clap::Command::new("skiff"));
        let found = |w: &[&str]| named_subcommand(&root, &args(w));
        assert_eq!(found(&["inspect", "x"]).as_deref(), Some("inspect"));
        assert_eq!(
            found(&["--policy", "/p.json", "--debug", "copy", "a", "b"]).as_deref(),
            Some("copy")
        );
        assert_eq!(
            found(&["--tmpdir=/t", "list-tags", "x"]).as_deref(),
            Some("list-tags")
        );
        assert_eq!(
            found(&["--tls-verify", "inspect"]).as_deref(),
            Some("inspect")
        );
        assert_eq!(found(&["inspect", "--help"]), None);
        assert_eq!(found(&["--debug"]), None);
    }

    #[test]
    fn lean_and_whole_parses_agree() {
        let lines: &[&[&str]] = &[
            &["inspect", "--raw", "--config", "docker://a/b"],
            &[
                "--insecure-policy",
                "copy",
                "--all",
                "--dest-compress-format",
                "zstd",
                "a",
                "b",
            ],
            &["--command-timeout", "5s", "list-tags", "docker://x/y"],
            &["sync", "--src", "docker", "--dest", "dir", "a", "b"],
        ];
        for line in lines {
            let lean = parse_from(args(line)).unwrap();
            let whole = Cli::try_parse_from(args(line)).unwrap();
            assert_eq!(format!("{lean:?}"), format!("{whole:?}"), "{line:?}");
        }
    }

    #[test]
    fn bad_arguments_get_the_whole_trees_error() {
        let e = parse_from(args(&["inspect", "--no-such-flag", "x"])).unwrap_err();
        let whole = Cli::try_parse_from(args(&["inspect", "--no-such-flag", "x"])).unwrap_err();
        assert_eq!(e.to_string(), whole.to_string());
        assert!(parse_from(args(&["no-such-command"])).is_err());
    }
}
