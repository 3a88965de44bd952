#!/usr/bin/env bash
# Make a system Chromium available for the browser tests (tests/browser.py: Playwright drives it through
# executable_path; Playwright's own browser download is never used, `playwright install` is not run).
# On Debian/Ubuntu with apt and root (or sudo) this installs Debian's `chromium` package when neither
# `chromium` nor `chromium-browser` is on PATH. Elsewhere it says so and exits 0: the browser tests
# are then skipped with that reason, and nothing else needs a browser.
set -euo pipefail

have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }

if have_chromium; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "reportkit: no system Chromium and apt-get is not available; the browser tests (client page, batch index)" \
       "will be skipped. Install Chromium with your package manager to run them." >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "reportkit: no system Chromium; to run the browser tests, as root: apt-get install chromium" >&2
    exit 0
  fi
fi
echo "reportkit: installing chromium with apt-get (for the browser tests)"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
  echo "reportkit: apt-get could not install chromium; the browser tests will be skipped" >&2
  exit 0
fi
have_chromium || { echo "reportkit: chromium installed but not on PATH; the browser tests will be skipped" >&2; exit 0; }
