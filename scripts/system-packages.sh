#!/usr/bin/env bash
# What the tests need from Debian beyond Python: headless Chromium and its driver (the
# certificate page is tested in a real browser) and the Noto fonts certificates are
# rendered with (Latin, Arabic, CJK). Installed only when missing, as root directly or
# through sudo; without either, says what to install and lets the tests say what is missing.
set -euo pipefail
packages=()
command -v chromium >/dev/null || packages+=(chromium)
command -v chromedriver >/dev/null || packages+=(chromium-driver)
[ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || packages+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || packages+=(fonts-noto-cjk)
[ ${#packages[@]} -eq 0 ] && exit 0
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null || ! command -v apt-get >/dev/null; then
        echo "note: the tests want these Debian packages: ${packages[*]}" >&2
        exit 0
    fi
    as_root=(sudo)
fi
command -v apt-get >/dev/null || { echo "note: no apt-get; wanted: ${packages[*]}" >&2; exit 0; }
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
