#!/usr/bin/env bash
# Regenerates what is generated from skiff's command tree and committed: the shell
# completions in completions/ and the man pages in docs/. The tests that check they are
# current are the ones that write them.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIFF_REGENERATE=1 cargo test --test it -- cli_ux::completions_are_current cli_ux::man_pages_are_current
