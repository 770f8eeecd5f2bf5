#!/usr/bin/env bash
# skiff's main job on the bundled example image, no network: copy it between local formats
# and inspect the result.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
skiff=target/release/skiff
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
$skiff --insecure-policy copy oci:examples/hello:latest "dir:$out/hello-dir"
$skiff --insecure-policy copy "dir:$out/hello-dir" "oci-archive:$out/hello.tar:latest"
$skiff inspect "oci-archive:$out/hello.tar:latest"
