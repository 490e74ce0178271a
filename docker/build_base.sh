#!/bin/sh
# Build the base image `rtlgen-base:bookworm` without any container registry.
#
#   docker/build_base.sh            # uses DOCKER_HOST from docker/dockerd.sh env
#
# mmdebstrap builds a Debian root filesystem from this machine's own apt sources (the deb822 file is
# fed on stdin, so no mirror name is written into the repo or the image), the image's apt sources are
# removed afterwards, and `docker import` turns the tarball into an image. The tarball is cached in
# docker/.build/rootfs.tar; delete it to rebuild (the package list below is its cache key).
set -eu
umask 022
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${RTLGEN_DOCKER_BUILD:-$HERE/.build}
SOURCES=${APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
SUITE=${DEBIAN_SUITE:-bookworm}
BASE_TAG=${RTLGEN_BASE_IMAGE:-rtlgen-base:bookworm}
DOCKER=${DOCKER:-/usr/bin/docker}
# the EDA tools the sandbox runs, bubblewrap for the per-job sandbox, python3-venv for rtlgen;
# tini is not needed (compose's `init: true` uses the engine's docker-init).
PKGS="iverilog verilator yosys bubblewrap python3 python3-venv util-linux ccache g++ make ca-certificates"
KEY=$(echo "$SUITE $PKGS" | sha256sum | cut -c1-16)

mkdir -p "$BUILD"
if [ ! -s "$BUILD/rootfs-$KEY.tar" ]; then
    [ -r "$SOURCES" ] || { echo "build_base: apt sources file $SOURCES not readable (set APT_SOURCES)" >&2; exit 1; }
    echo "build_base: mmdebstrap $SUITE from $SOURCES -> $BUILD/rootfs-$KEY.tar"
    start=$(date +%s)
    # --variant=apt: Essential + apt; the customize hook drops the apt sources (mirror names) and caches.
    mmdebstrap --quiet --mode=root --format=tar --variant=apt --include="$(echo $PKGS | tr ' ' ,)" \
        --customize-hook='rm -f "$1"/etc/apt/sources.list; rm -rf "$1"/etc/apt/sources.list.d/* "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
        --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/*' \
        "$SUITE" "$BUILD/rootfs-$KEY.tar.part" - < "$SOURCES"
    mv "$BUILD/rootfs-$KEY.tar.part" "$BUILD/rootfs-$KEY.tar"
    echo "build_base: rootfs built in $(( $(date +%s) - start ))s"
else
    echo "build_base: cached $BUILD/rootfs-$KEY.tar"
fi

if [ -n "${SKIP_IMPORT:-}" ]; then exit 0; fi
have=$("$DOCKER" image inspect -f '{{index .Config.Labels "rtlgen.rootfs"}}' "$BASE_TAG" 2>/dev/null || true)
if [ "$have" = "$KEY" ]; then
    echo "build_base: $BASE_TAG already imported from rootfs $KEY"
    exit 0
fi
"$DOCKER" import \
    --change "LABEL rtlgen.rootfs=$KEY" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$BUILD/rootfs-$KEY.tar" "$BASE_TAG"
echo "build_base: imported $BASE_TAG"
