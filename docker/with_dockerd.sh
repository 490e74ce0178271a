#!/bin/sh
# Run a command against rtlgen's own dockerd: start it if it is not running, and stop it afterwards
# only if this script started it.
#
#   docker/with_dockerd.sh docker/build_all.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
started=
if ! "$HERE/dockerd.sh" status >/dev/null 2>&1; then started=1; fi
eval "$("$HERE/dockerd.sh" start)"
export DOCKER_HOST
rc=0
"$@" || rc=$?
if [ -n "$started" ]; then "$HERE/dockerd.sh" stop >&2; fi
exit $rc
