#!/usr/bin/env bash
# Installs what the portal needs on a Debian machine: nginx (and Chromium for the tests) through apt,
# then a virtual environment with the shared library, every service and the local stack tool.
# Usage: deploy/local/install.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/../.."

WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
# Billing embeds DejaVu in its PDF/A-3 (Factur-X) invoices.
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
if (( WITH_TESTS )); then
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
fi
if (( ${#missing[@]} )); then
  echo "Installation des paquets Debian : ${missing[*]}"
  if [[ "$(id -u)" == 0 ]]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "Impossible d'installer ${missing[*]} sans droits administrateur : exécutez 'apt-get install ${missing[*]}' puis relancez." >&2
    exit 1
  fi
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
    echo "L'installation de ${missing[*]} par apt a échoué : installez-les puis relancez." >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv

# Reinstall only when a dependency list changed: a second run starts at once.
stamp_input=$(cat libs/portal_common/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml requirements-dev.txt)
stamp=".venv/.installed-$(( WITH_TESTS ))-$(echo "$stamp_input" | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  packages=(-e libs/portal_common)
  for service in identity members workforce scheduling billing; do packages+=(-e "services/$service"); done
  packages+=(-e deploy/local)
  (( WITH_TESTS )) && packages+=(-r requirements-dev.txt)
  .venv/bin/pip install --quiet --disable-pip-version-check "${packages[@]}"
  touch "$stamp"
fi
