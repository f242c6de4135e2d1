#!/usr/bin/env bash
# Set everything up and run the whole test suite, browser tests included.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# The browser tests drive Debian's chromium; the Noto fonts draw Arabic in their screenshots.
missing=()
for package in chromium fonts-noto-core; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The browser tests need these Debian packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python -m pytest "$@"
