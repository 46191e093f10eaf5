#!/usr/bin/env bash
# Installs the build dependencies (apt-get only for missing packages; `apt-get
# update` only when something must be installed), then configures and builds
# elite in build/ (Release, CMake's default generator). Idempotent.
# Extra CMake arguments can be passed through: scripts/setup_build.sh -DELITE_NATIVE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

PACKAGES=(build-essential cmake libjpeg62-turbo-dev libpng-dev zlib1g-dev
          libflatbuffers-dev flatbuffers-compiler nlohmann-json3-dev libcli11-dev
          libgtest-dev libbenchmark-dev clang libclang-rt-14-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  echo "[setup_build] apt-get install ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "[setup_build] build dependencies present"
fi

BUILD_DIR=${BUILD_DIR:-build}
echo "[setup_build] cmake -S . -B $BUILD_DIR -DCMAKE_BUILD_TYPE=Release $*"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@"
echo "[setup_build] cmake --build $BUILD_DIR -j$(nproc)"
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "[setup_build] done in $((SECONDS - start)) s"
