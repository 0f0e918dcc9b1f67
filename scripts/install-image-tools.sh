#!/usr/bin/env bash
# The independent image tools the tests make and inspect images with
# (ImageMagick, exiftool, libvips' command-line tools, also the speed anchor of
# the image benchmarks) and the ICC colour profiles the colour tests embed
# (Adobe RGB and sRGB, from Ghostscript's libgs-common): Debian packages,
# installed once when missing.
set -euo pipefail
need=0
[ -x /usr/bin/convert ] || need=1
command -v identify >/dev/null || need=1
command -v exiftool >/dev/null || need=1
command -v vips >/dev/null || need=1
command -v vipsthumbnail >/dev/null || need=1
[ -f /usr/share/color/icc/ghostscript/a98.icc ] || need=1
[ "$need" = 0 ] && exit 0
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  imagemagick libimage-exiftool-perl libvips-tools libgs-common >/dev/null
