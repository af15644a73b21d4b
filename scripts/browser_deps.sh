#!/usr/bin/env bash
# Install headless Chromium (Debian's `chromium` package) when missing, for the web UI browser
# test (tests/integration/test_web_ui.py) and `make docs-screenshots`. Playwright drives it
# through executable_path=/usr/bin/chromium; Playwright's own browser download is not used.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is needed at /usr/bin/chromium: apt-get install chromium (as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ]
