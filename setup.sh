#!/usr/bin/env bash
# hpsearch set-up: installs what is missing, builds, and runs the quickstart
# sweep or the whole test suite. Idempotent; safe to run again.
#
#   bash setup.sh quickstart   set up, build, run experiments/quickstart.json
#   bash setup.sh test         set up, build twice (normal, ASan+UBSan), run every test
#   bash setup.sh deps         only install the Debian packages
#   bash setup.sh build        only build into build/
set -euo pipefail
cd "$(dirname "$0")"

# Everything hpsearch needs, all from Debian's own archive (chromium only runs
# the HTML report's browser test; munge and slurm the Slurm end-to-end test).
PACKAGES=(build-essential cmake pkg-config libuv1-dev libjansson-dev libopenblas-dev
          check zlib1g-dev dataset-fashion-mnist python3-numpy python3-protobuf chromium
          munge slurmctld slurmd slurm-client)

say() { printf '== %s\n' "$*"; }

install_deps() {
    local missing=()
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "dependencies: all installed"
        return
    fi
    say "installing: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# build DIR [cmake args...]
build() {
    local dir=$1
    shift
    say "building in $dir"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHPSEARCH_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)"
}

run_tests() {
    local dir=$1
    say "testing $dir"
    (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
}

case "${1:-}" in
deps)
    install_deps
    ;;
build)
    install_deps
    build build
    ;;
quickstart)
    install_deps
    build build
    out="runs/quickstart-$(date +%Y%m%d-%H%M%S)"
    say "running experiments/quickstart.json into $out"
    build/bin/hpsearch run experiments/quickstart.json --out "$out"
    ;;
test)
    install_deps
    build build
    run_tests build
    build build-asan -DHPSEARCH_SANITIZE=ON
    run_tests build-asan
    say "all tests passed in both builds"
    ;;
*)
    echo "usage: bash setup.sh quickstart|test|deps|build" >&2
    exit 2
    ;;
esac
