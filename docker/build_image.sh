#!/bin/sh
# Build the image `rtlgen:local` from the base (docker/build_base.sh) and wheels downloaded on this host.
#
#   DOCKER_HOST=unix:///run/rtlgen-dockerd/docker.sock docker/build_image.sh
#
# The host's pip builds the rtlgen wheel from the work tree and fetches the wheels of its dependencies
# (with the `service` extra) into docker/.build/context/wheels; the Dockerfile installs them with
# `pip install --no-index`, built with `--network none` by the legacy builder.
set -eu
umask 022
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${RTLGEN_DOCKER_BUILD:-$HERE/.build}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
TAG=${RTLGEN_IMAGE:-rtlgen:local}
BASE_TAG=${RTLGEN_BASE_IMAGE:-rtlgen-base:bookworm}
DOCKER=${DOCKER:-/usr/bin/docker}
CTX=$BUILD/context

rm -rf "$CTX" && mkdir -p "$CTX/wheels"
cp "$HERE/Dockerfile" "$CTX/Dockerfile"
"$PYTHON" -m pip wheel -q --no-deps -w "$CTX/wheels" "$REPO"
WHEEL=$(ls "$CTX"/wheels/rtlgen-*.whl)
# the service's dependencies: the `service` extra when the wheel declares it, else named here
if "$PYTHON" - "$WHEEL" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    sys.exit(0 if "Provides-Extra: service" in z.read(meta).decode().splitlines() else 1)
PY
then
    EXTRA="[service]"; MORE=""
else
    echo "build_image: rtlgen has no [service] extra yet; adding fastapi and uvicorn by name" >&2
    EXTRA=""; MORE="fastapi uvicorn"
fi
printf '%s\n' "rtlgen$EXTRA" $MORE > "$CTX/requirements.txt"
# wheels for every dependency (pip wheel also turns any sdist into a wheel); the image's python is 3.11
# on glibc 2.36, as this host's. The rtlgen requirement is the wheel's path: never a package index's rtlgen.
"$PYTHON" -m pip wheel -q -w "$CTX/wheels" "$WHEEL$EXTRA" $MORE 2>&1 | grep -v "is ignored: it is neither" || true
ls "$CTX"/wheels/*.whl >/dev/null
DOCKER_BUILDKIT=0 "$DOCKER" build -q --network none --build-arg "BASE=$BASE_TAG" -t "$TAG" "$CTX"
echo "build_image: built $TAG ($(ls "$CTX"/wheels | wc -l) wheels)"
