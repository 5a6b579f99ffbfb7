#!/bin/sh
# install-deps.sh — installs the Debian packages llmtap needs to build and
# test, only those missing. Runs `apt-get update` first when something is
# missing. Needs root (or sudo) only when there is something to install.
set -eu

PKGS="gcc make libc6-dev binutils libcurl4-openssl-dev libcjson-dev libcjson1 libbsd-dev
      curl openssl ca-certificates python3 python3-pycurl python3-brotli python3-zstandard
      valgrind clang zlib1g-dev
      php-cli php-curl lua5.2 lua-curl ruby ruby-curb r-base-core r-cran-curl"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "llmtap: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "llmtap: need root to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
