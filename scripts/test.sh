#!/usr/bin/env bash
# The README's test command: on a fresh Debian machine with Node.js 20, installs what the tests need
# when it is missing (Chromium, the AWS CLI, curl and git, from Debian's packages), then `npm ci`
# (skipped when node_modules already matches package-lock.json) and `npm test`.
# A second run installs nothing and goes straight to the tests. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# command on PATH (or the variable naming it)  ->  Debian package
declare -A PACKAGE_OF=([chromium]=chromium [aws]=awscli [curl]=curl [git]=git)
declare -A VARIABLE_OF=([chromium]=ASYNC_API_CHROMIUM [aws]=ASYNC_API_AWS_CLI)
missing=()
for tool in chromium aws curl git; do
  variable="${VARIABLE_OF[$tool]:-}"
  if [ -n "$variable" ] && [ -n "${!variable:-}" ] && [ -x "${!variable}" ]; then continue; fi
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "The tests need: ${missing[*]} (Debian package names), and this machine has no apt-get: install them, then run again." >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "Installing what the tests need from Debian's packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci wipes node_modules and installs it again (about 20 s): only when package-lock.json or Node changed.
stamp="node_modules/.async-api-installed"
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "${ASYNC_API_FORCE_CI:-}" != "1" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node_modules matches package-lock.json: npm ci skipped (ASYNC_API_FORCE_CI=1 forces it)."
else
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

npm test
