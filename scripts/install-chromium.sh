#!/usr/bin/env bash
# A Chromium for Playwright: Debian's package where apt is available (Playwright's own download needs
# internet access this kind of machine does not have), else Playwright's bundled browser.
set -euo pipefail
python=${1:-python3}
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium package..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
  exit 0
fi
echo "no apt: installing Playwright's Chromium"
"$python" -m playwright install chromium
