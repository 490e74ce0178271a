#!/bin/sh
# Measure what bubblewrap needs from Docker: run rtlgen's two confinement shapes in throw-away
# containers under each seccomp profile, capability set and user, and print one line per case.
#
#   DOCKER_HOST=unix:///run/rtlgen-dockerd/docker.sock docker/measure_bwrap.sh [IMAGE]
#
# "as root" is what rtlgen does as uid 0 (bwrap without a user namespace, then setpriv to a private uid);
# "as user" is what it does as any other uid (bwrap makes a user namespace). /proc is mounted only for
# yosys, so each shape is tried without and with --proc. Results go into docs/docker.md.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=${1:-rtlgen-base:bookworm}
DOCKER=${DOCKER:-/usr/bin/docker}
PROFILE=${SECCOMP_PROFILE:-$HERE/.build/seccomp-bwrap.json}

ROOTFS="--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --dev /dev --tmpfs /tmp"
AS_ROOT="bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try --cap-drop ALL \
 --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP --die-with-parent --new-session $ROOTFS"
AS_USER="bwrap --unshare-all --cap-drop ALL --die-with-parent --new-session $ROOTFS"
DROP="setpriv --reuid=200000 --regid=200000 --clear-groups --bounding-set=-all --inh-caps=-all --no-new-privs --"
ROOT_CAPS="--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SETUID --cap-add SETGID"

try() {  # label, docker run options, command
    label=$1; opts=$2; cmd=$3
    out=$("$DOCKER" run --rm --network none --cap-drop ALL $opts "$IMAGE" sh -c "$cmd" 2>&1)
    if [ "$out" = ok ]; then printf '%-62s ok\n' "$label"; else printf '%-62s FAIL: %s\n' "$label" "$(echo "$out" | tail -1 | cut -c1-70)"; fi
}

for proc in "" "--proc /proc"; do
    p=${proc:+ +proc}
    ucmd="$AS_USER $proc --remount-ro / -- /usr/bin/sh -c 'echo ok'"
    rcmd="$AS_ROOT $proc --remount-ro / -- $DROP /usr/bin/sh -c 'echo ok'"
    try "user 10001, default seccomp$p"                 "--user 10001" "$ucmd"
    try "user 10001, bwrap seccomp$p"                   "--user 10001 --security-opt seccomp=$PROFILE" "$ucmd"
    try "user 10001, bwrap seccomp, systempaths=unconfined$p" "--user 10001 --security-opt seccomp=$PROFILE --security-opt systempaths=unconfined" "$ucmd"
    try "user 10001, seccomp=unconfined$p"              "--user 10001 --security-opt seccomp=unconfined" "$ucmd"
    try "root, no caps, bwrap seccomp$p"                "--security-opt seccomp=$PROFILE" "$rcmd"
    try "root, SYS_ADMIN NET_ADMIN SETUID SETGID, default seccomp$p" "$ROOT_CAPS" "$rcmd"
    try "root, SYS_ADMIN NET_ADMIN SETUID SETGID, bwrap seccomp$p"  "$ROOT_CAPS --security-opt seccomp=$PROFILE" "$rcmd"
    for c in SYS_ADMIN NET_ADMIN SETUID SETGID; do
        try "root, caps without $c, bwrap seccomp$p" "$(echo "$ROOT_CAPS" | sed "s/--cap-add $c//") --security-opt seccomp=$PROFILE" "$rcmd"
    done
    try "root, SYS_ADMIN NET_ADMIN SETUID SETGID, unconfined$p" "$ROOT_CAPS --security-opt seccomp=unconfined" "$rcmd"
done

# rtlgen's own jobs (needs the rtlgen image): the hardened judge's secret keeping (a private step reads a
# file the public step must not), a step's wall-clock limit, and whether the job runs at all.
"$DOCKER" image inspect rtlgen:local >/dev/null 2>&1 || exit 0
PROBE='
from rtlgen.sandbox.runner import LocalExecutor
from rtlgen.sandbox.job import Job, Step, Limits
try:
    ex = LocalExecutor()
    r = ex.run(Job(steps=(Step(("/usr/bin/cat", "s"), private=True), Step(("/usr/bin/cat", "s"), check=False)),
                   files={"s": b"x"}, private_files=("s",), cacheable=False))
    t = ex.run(Job(steps=(Step(("/usr/bin/true",)), Step(("/usr/bin/sleep", "20"), limits=Limits(wall_s=1))), cacheable=False))
    kept = r.steps[0].stdout == "x" and r.steps[1].stdout != "x"
    limit = t.steps[-1].killed_by.value == "timeout" and t.steps[-1].wall_s < 5
    print("ok" if kept and limit else "secret kept: %s, sleep 20 under wall_s=1: %s after %.0fs"
          % (kept, t.steps[-1].killed_by.value, t.steps[-1].wall_s))
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
'
WORKER_CAPS="SYS_ADMIN NET_ADMIN SETUID SETGID CHOWN DAC_OVERRIDE FOWNER KILL"
rtl() {  # label, docker run options
    out=$("$DOCKER" run --rm --network none --read-only --tmpfs /tmp:rw,exec --tmpfs /run --cap-drop ALL \
          --security-opt "seccomp=$PROFILE" $2 rtlgen:local python3 -c "$PROBE" 2>&1 | tail -1)
    printf '%-62s %s\n' "rtlgen: $1" "$out"
}
for drop in none $WORKER_CAPS; do
    caps=""; for c in $WORKER_CAPS; do [ "$c" = "$drop" ] || caps="$caps --cap-add $c"; done
    rtl "root, worker caps$([ $drop = none ] || echo " without $drop")" "$caps"
done
rtl "user 10001, no caps, systempaths=unconfined" "--user 10001 --security-opt systempaths=unconfined"
