#!/bin/sh
# Make sure Debian's chromium is there for the browser tests.
#
# In CI (CI=true) it is installed with apt when missing; Playwright's own
# browser download (`playwright install`) is never used: it needs the internet.
# Elsewhere a missing chromium only makes the browser tests skip.
set -eu
CHROMIUM=${LEAVERGUARD_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "${CI:-}" = "true" ]; then
    echo "ensure-chromium: installing Debian's chromium package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "ensure-chromium: $CHROMIUM not found; browser tests will skip (apt-get install chromium)" >&2
fi
