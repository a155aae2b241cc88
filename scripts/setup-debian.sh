#!/usr/bin/env bash
# Installs every Debian 12 package didban needs to build, test and benchmark. Idempotent: packages already present
# are skipped by apt-get; safe to run again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy
  ffmpeg libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libopencv-dev libopencv-contrib-dev
  libboost-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libabsl-dev libeigen3-dev
  libgeographiclib-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  time python3 gawk
  clang libclang-rt-14-dev llvm
  libpqxx-dev postgresql
  gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  libsodium-dev libssl-dev openssl libturbojpeg0-dev wrk curl bc procps util-linux
  nats-server libnats-dev chromium chromium-driver nodejs
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "didban: all build dependencies present"
