#!/usr/bin/env bash
# Renders an `engage report` HTML file to a PNG with headless Chromium (Debian's `chromium`
# package), so that `make test-long` proves the page renders and a person can look at it.
#
#   bench/render_report.sh REPORT.html OUT.png [WIDTH [HEIGHT]]
#
# Installs chromium with apt-get when it is missing (as root, or through sudo). Fails when the
# screenshot is missing, empty or not a PNG.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH [HEIGHT]]" >&2
  exit 2
fi
report=$1
out=$2
width=${3:-1400}
height=${4:-4000}

if [ ! -s "$report" ]; then
  echo "$0: $report does not exist or is empty" >&2
  exit 1
fi

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$(command -v "$candidate"); break; fi
done
if [ -z "$browser" ]; then
  sudo=""
  [ "$(id -u)" = "0" ] || sudo=sudo
  echo "installing chromium (Debian package) for headless rendering" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
  browser=$(command -v chromium)
fi

absolute=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
mkdir -p "$(dirname "$out")"
rm -f "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# --no-sandbox: CI and containers run as root, where Chromium's sandbox refuses to start.
# A fresh profile and no network access keep the render reproducible and prove self-containment.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --no-first-run --no-default-browser-check \
  --disable-extensions --disable-background-networking --disable-sync \
  --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>" \
  --window-size="$width,$height" --screenshot="$out" "file://$absolute" >"$profile/chromium.log" 2>&1 || {
    echo "$0: chromium failed:" >&2
    tail -20 "$profile/chromium.log" >&2
    exit 1
  }

if [ ! -s "$out" ] || [ "$(head -c 8 "$out" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "$0: no PNG was written to $out" >&2
  tail -20 "$profile/chromium.log" >&2
  exit 1
fi
echo "rendered $report to $out ($(wc -c <"$out") bytes, ${width}x${height})"
