#!/usr/bin/env bash
# The token in a real OS keyring: gnome-keyring's Secret Service, unlocked in
# a D-Bus session of its own (and a keyring folder of its own), runs the
# keyring test that is ignored everywhere else.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
unset IMGUP_ADMIN_TOKEN_STORE
XDG_DATA_HOME=$data dbus-run-session -- bash -c '
  printf imgup-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test -q -p imgup-admin --lib -- --ignored keyring' 2> >(grep -v "Failed to set fd limit" >&2)
