//! Parsing the command line with only the subcommand it names. clap builds every subcommand
//! of a derived tree (and copies the global flags into each) before it looks at the
//! arguments; for a short command such as `inspect` of a local archive that is a good part
//! of its run. A command line that plainly names its subcommand gets a tree with that one
//! alone; anything else (help, no subcommand, an error) is parsed against the whole tree,
//! so the output and errors stay the whole tree's.

use std::ffi::OsString;

use clap::{Args, FromArgMatches, Parser};

use super::{Cli, GlobalFlags};

/// The root command with the global flags alone.
fn root() -> clap::Command {
    GlobalFlags::augment_args(
        clap::Command::new("skiff")
            .disable_version_flag(true)
            .args_override_self(true),
    )
}

/// The subcommand `args` (program name first) names, past the global flags and their values.
pub fn subcommand_name(args: &[OsString]) -> Option<String> {
    named_subcommand(&root(), args)
}

/// Parses `args` (program name first).
pub fn parse_from(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let root = root();
    let named = named_subcommand(&root, &args);
    if let Some(name) = &named
        && name != "help"
        && subcommand_alone(name).is_none()
    {
        return Err(clap::Error::raw(
            clap::error::ErrorKind::InvalidSubcommand,
            unrecognized_command(name),
        ));
    }
    if let Some(cli) = named
        .and_then(|name| subcommand_alone(&name))
        .and_then(|sub| parse_with(root, sub, &args))
    {
        return Ok(cli);
    }
    Cli::try_parse_from(args)
}

/// The commands skopeo suggests for a mistyped one, in the order it lists them (its
/// deprecated and hidden ones, and `completion`, are never suggested).
const SUGGESTED_COMMANDS: [&str; 11] = [
    "copy",
    "delete",
    "generate-sigstore-key",
    "inspect",
    "login",
    "logout",
    "manifest-digest",
    "sync",
    "standalone-sign",
    "standalone-verify",
    "list-tags",
];

/// skopeo's error for a word that names no command, with its "Did you mean" list: commands
/// within two edits of the word, or starting with it, ignoring case.
fn unrecognized_command(word: &str) -> String {
    let typed = word.to_lowercase();
    let close: Vec<&str> = SUGGESTED_COMMANDS
        .into_iter()
        .filter(|name| edit_distance(&typed, name) <= 2 || name.starts_with(&typed))
        .collect();
    let mut msg = format!("Unrecognized command `skiff {word}`");
    if !close.is_empty() {
        msg.push_str("\n\nDid you mean this?\n");
        for name in close {
            msg.push_str(&format!("\t{name}\n"));
        }
    }
    msg.push_str("\nTry 'skiff --help' for more information");
    msg
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The one-line (or skopeo-shaped) message for a command line clap refused: skopeo's wording
/// for unknown flags, and clap's "did you mean" suggestions kept.
pub fn failure_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let rendered = e.to_string();
    // A message of our own (no context): all of it.
    if e.context().next().is_none() {
        return rendered
            .trim_start_matches("error: ")
            .trim_end()
            .to_string();
    }
    let mut msg = match (e.kind(), e.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) if arg.starts_with("--") => {
            let flag = arg.split_once('=').map_or(arg.as_str(), |(f, _)| f);
            format!("unknown flag: {flag}")
        }
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg)))
            if arg.starts_with('-') && arg.len() > 1 =>
        {
            let letter: String = arg.chars().skip(1).take(1).collect();
            format!("unknown shorthand flag: '{letter}' in {arg}")
        }
        (ErrorKind::InvalidValue, Some(ContextValue::String(arg))) if matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty()) =>
        {
            let flag = arg.split_whitespace().next().unwrap_or(arg);
            match flag.strip_prefix('-').filter(|f| !f.starts_with('-')) {
                Some(letter) => format!("flag needs an argument: '{letter}' in {flag}"),
                None => format!("flag needs an argument: {flag}"),
            }
        }
        _ => rendered
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string(),
    };
    let mut suggestions = Vec::new();
    for kind in [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ] {
        match e.get(kind) {
            Some(ContextValue::String(s)) => suggestions.push(s.clone()),
            Some(ContextValue::Strings(v)) => suggestions.extend(v.iter().cloned()),
            _ => {}
        }
    }
    if !suggestions.is_empty() {
        msg.push_str("\n\nDid you mean this?\n");
        for s in suggestions {
            msg.push_str(&format!("\t{s}\n"));
        }
    }
    msg.trim_end().to_string()
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
        "completion" => completion::CompletionArgs::augment_args(c),
        "copy" => copy::CopyArgs::augment_args(c),
        "delete" => delete::DeleteArgs::augment_args(c),
        "experimental-image-proxy" => proxy::ProxyArgs::augment_args(c),
        "generate-sigstore-key" => other::GenerateSigstoreKeyArgs::augment_args(c),
        "inspect" => inspect::InspectArgs::augment_args(c),
        "layers" => layers::LayersArgs::augment_args(c),
        "list-repos" => list_repos::ListReposArgs::augment_args(c),
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
/// is asked for anywhere, when a flag before it is not one of `root`'s (whether the word is
/// its value is unknown), or when arguments end before a word.
fn named_subcommand(root: &clap::Command, args: &[OsString]) -> Option<String> {
    let takes_value = |flag: &str| {
        root.get_arguments().any(|a| {
            a.get_long() == Some(flag)
                && a.get_action().takes_values()
                && !a.is_require_equals_set()
        })
    };
    let known = |flag: &str| {
        let name = flag.split_once('=').map_or(flag, |(n, _)| n);
        root.get_arguments().any(|a| a.get_long() == Some(name))
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
            Some(flag) if !known(flag) => return None,
            Some(flag) if !flag.contains('=') && takes_value(flag) => {
                words.next();
            }
            Some(_) => {}
            None if word == "-v" => {}
            None if word.starts_with('-') => return None,
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
            &[
                "copy",
                "--src-creds",
                "u:p",
                "--screds",
                "v:q",
                "--dcreds",
                "w:r",
                "--tls-verify=false",
                "a",
                "b",
            ],
            &["--tls-verify=false", "sync", "--tls-verify", "a", "b"],
            &["completion", "bash"],
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

    #[test]
    fn old_flag_names_land_where_skopeo_puts_them() {
        let cli = parse_from(args(&[
            "copy",
            "--src-creds",
            "u:p",
            "--screds",
            "v:q",
            "--dcreds",
            "w:r",
            "--tls-verify=false",
            "a",
            "b",
        ]))
        .unwrap();
        let Some(super::super::Command::Copy(copy)) = cli.command else {
            panic!("not a copy: {cli:?}");
        };
        // As pflag: the last of two names for one value wins.
        assert_eq!(copy.src.creds.as_deref(), Some("v:q"));
        assert_eq!(copy.dest.creds.as_deref(), Some("w:r"));
        assert_eq!(copy.deprecated_tls_verify.tls_verify, Some(false));
        assert_eq!(cli.global.tls_verify, None);
    }

    #[test]
    fn mistyped_commands_get_skopeos_suggestions() {
        assert_eq!(edit_distance("cpy", "copy"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            unrecognized_command("nosuch"),
            "Unrecognized command `skiff nosuch`\nTry 'skiff --help' for more information"
        );
        assert_eq!(
            unrecognized_command("s"),
            "Unrecognized command `skiff s`\n\nDid you mean this?\n\tsync\n\tstandalone-sign\n\tstandalone-verify\n\nTry 'skiff --help' for more information"
        );
        let e = parse_from(args(&["Copy", "a", "b"])).unwrap_err();
        assert!(failure_message(&e).contains("Did you mean this?\n\tcopy\n"));
    }

    #[test]
    fn clap_suggestions_are_kept_in_skopeos_words() {
        let e = parse_from(args(&["copy", "--src-cred", "x", "a", "b"])).unwrap_err();
        assert_eq!(
            failure_message(&e),
            "unknown flag: --src-cred\n\nDid you mean this?\n\t--src-creds"
        );
        let e = parse_from(args(&["copy", "--src-creds"])).unwrap_err();
        assert_eq!(failure_message(&e), "flag needs an argument: --src-creds");
    }
}
