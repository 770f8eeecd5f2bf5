#!/usr/bin/env bash
# Runs skiff's whole test suite on a fresh machine: installs the real peers the integration
# tests talk to (when missing), checks formatting and lints, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package that provides it
peers=(
  "skopeo:skopeo"
  "buildah:buildah"
  "podman:podman"
  "docker-registry:docker-registry"
  "dockerd:docker.io"
  "htpasswd:apache2-utils"
  "openssl:openssl"
  "gpg:gnupg"
  "xz:xz-utils"
  "hyperfine:hyperfine"
  "man:man-db"
  "getfattr:attr"
  "python3:python3"
  "tar:tar"
  "tmux:tmux"
)
missing=()
for p in "${peers[@]}"; do
  command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing test peers: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" uidmap >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets "$@"
