#!/usr/bin/env bash
# Makes sure the Garage server (crates.io `garage` 2.5.0, the S3 store the
# operator can run beside MinIO) is built once into
# ${IMGUP_CACHE:-$HOME/.cache/imgup}/garage/bin/garage, and prints its path.
# The operator's Garage setup test (operator/tests/garage_setup.rs) starts it.
# The first build takes ~15-20 minutes on two cores; it uses a target dir of
# its own under the cache (removed afterwards), never the workspace's.
set -euo pipefail
version=2.5.0
cache=${IMGUP_CACHE:-$HOME/.cache/imgup}
root=$cache/garage
bin=$root/bin/garage
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "cargo:$version\b"; then
  echo "$bin"
  exit 0
fi
echo "Building garage $version into $root (once; ~15-20 minutes)" >&2
build=$cache/garage-build
CARGO_TARGET_DIR=$build cargo install --locked --quiet "garage@$version" --root "$root" --force >&2
rm -rf "$build"
"$bin" --version >&2
echo "$bin"
