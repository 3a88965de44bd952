#!/usr/bin/env bash
# Make a CJK font (Noto Sans/Serif CJK, SIL Open Font License) and HarfBuzz's subsetter available.
# On Debian/Ubuntu with apt and root (or sudo) this installs fonts-noto-cjk and libharfbuzz-subset0.
# Elsewhere it checks and says what to install; see README.md ("Other platforms").
set -euo pipefail

# (grep reads all of its input: with `grep -q` and pipefail, the writer's SIGPIPE fails the check)
have_font() { command -v fc-list >/dev/null 2>&1 && [ "$(fc-list : family 2>/dev/null | grep -c "Noto Sans CJK SC")" -gt 0 ]; }
have_subset() { command -v ldconfig >/dev/null 2>&1 && [ "$(ldconfig -p 2>/dev/null | grep -c "libharfbuzz-subset")" -gt 0 ]; }

if have_font && { have_subset || [ "$(uname -s)" != "Linux" ]; }; then
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "reportkit: the CJK font is missing; run as root: apt-get install fonts-noto-cjk libharfbuzz-subset0" >&2
      exit 1
    fi
  fi
  echo "reportkit: installing fonts-noto-cjk and libharfbuzz-subset0 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 fontconfig >/dev/null
  have_font || { echo "reportkit: fonts-noto-cjk installed but fontconfig does not list 'Noto Sans CJK SC'" >&2; exit 1; }
  exit 0
fi

if have_font; then
  exit 0  # font present; HarfBuzz subsetting is optional (PDFs are slower without it)
fi
cat >&2 <<'MSG'
reportkit: no Noto Sans CJK SC font found and apt-get is not available.
  macOS:  brew install --cask font-noto-sans-cjk-sc font-noto-serif-cjk-sc
  conda:  conda install -c conda-forge font-ttf-noto-cjk
Then run make again.
MSG
exit 1
