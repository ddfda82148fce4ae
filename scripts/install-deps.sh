#!/usr/bin/env bash
# Installs what building and testing coronet needs on Debian 12. Idempotent: does
# nothing (not even apt-get update) when every package is already installed.
set -euo pipefail

packages=(
    build-essential cmake ninja-build git ca-certificates pkg-config
    catch2 libcaf-dev libssl-dev openssl socat liburing-dev iproute2
    clang-format clang-format-14
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all ${#packages[@]} packages already installed"
    exit 0
fi

if ((EUID == 0)); then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps.sh: missing ${missing[*]}, and neither root nor sudo is available" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
