#!/usr/bin/env bash
# Installs what ecrhelm needs to build, test and demo on Debian 12.
# Idempotent: a second run on a ready machine only checks and returns.
set -euo pipefail

PKGS=(
  build-essential ccache cmake ninja-build pkg-config clang-14 lld-14 libclang-rt-14-dev clang-format
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libpugixml-dev libyaml-cpp-dev
  libarchive-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl jq python3 python3-yaml hyperfine apache2-utils openssl docker-registry skopeo nginx
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The AWS peers of the test bed come from the image's Python (moto 5, awscli v1, botocore).
if ! command -v moto_server >/dev/null 2>&1; then
  echo "install-deps: moto_server is not on PATH; installing moto[server] with pip" >&2
  python3 -m pip install -q 'moto[server]' || {
    echo "install-deps: cannot install moto; integration tests need moto_server on PATH" >&2
    exit 1
  }
fi
echo "install-deps: ok"
