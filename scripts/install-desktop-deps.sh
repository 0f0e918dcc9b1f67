#!/usr/bin/env bash
# What the admin app (Tauri 2, WebKitGTK) needs to build and to be tested in a
# real window (WebKitGTK, Xvfb, WebKitWebDriver) and with a real OS keyring
# (gnome-keyring): Debian packages, installed once when missing.
set -euo pipefail
need=0
pkg-config --exists webkit2gtk-4.1 javascriptcoregtk-4.1 libsoup-3.0 2>/dev/null || need=1
command -v xvfb-run >/dev/null || need=1
command -v WebKitWebDriver >/dev/null || need=1
command -v convert >/dev/null || need=1
command -v gnome-keyring-daemon >/dev/null || need=1
command -v dbus-run-session >/dev/null || need=1
[ "$need" = 0 ] && exit 0
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  libwebkit2gtk-4.1-dev build-essential libssl-dev libayatana-appindicator3-dev \
  librsvg2-dev libgtk-3-dev libxdo-dev pkg-config file xvfb xauth webkit2gtk-driver \
  imagemagick gnome-keyring dbus-daemon >/dev/null
