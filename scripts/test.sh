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
  "sq:sq"
  "xz:xz-utils"
  "zstd:zstd"
  "bzip2:bzip2"
  "hyperfine:hyperfine"
  "man:man-db"
  "getfattr:attr"
  "newuidmap:uidmap"
  "fuse-overlayfs:fuse-overlayfs"
  "python3:python3"
  "tar:tar"
  "mksquashfs:squashfs-tools"
  "fakeroot:fakeroot"
  "tmux:tmux"
  "danted:dante-server"
)
missing=()
for p in "${peers[@]}"; do
  command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p##*:}")
done
# PyNaCl for Debian's python3: an independent reader of cosign's encrypted key format.
/usr/bin/python3 -c 'import nacl.secret' >/dev/null 2>&1 || missing+=(python3-nacl)
# cryptography for Debian's python3: an independent verifier of schema 1 JWS signatures.
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || missing+=(python3-cryptography)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing test peers: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets "$@"
