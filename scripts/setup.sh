#!/usr/bin/env bash
# One-time, idempotent set-up for a fresh Debian 12 machine with the Swift toolchain (run as root).
# Installs the system libraries the engine links and a small Python venv used only by the
# safetensors interoperability test. Prints what it does; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config libopenblas-dev libdnnl-dev libopenmpi-dev openmpi-bin iproute2 zlib1g-dev libjpeg62-turbo-dev libpng-dev python3 python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages present"
fi

# Python with the `safetensors` library, to prove files we write load there (tests only).
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import safetensors, numpy" 2>/dev/null; then
  echo "setup: creating .venv with safetensors + numpy (PyPI)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check safetensors numpy
else
  echo "setup: .venv present"
fi
