#!/bin/sh
# Start or stop rtlgen's own Docker engine, apart from any other on the machine.
#
#   eval "$(docker/dockerd.sh start)"    # prints `export DOCKER_HOST=unix://...`
#   docker/dockerd.sh stop               # stops only the dockerd whose pid is in our pidfile
#
# Its own data root, exec root, pidfile and socket; no iptables rules, no IP forwarding and no default
# bridge, so it changes nothing in the host's network set-up. Compose networks still get bridges, and
# without iptables isolation a bridged container can reach host services: workers use network_mode none.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${RTLGEN_DOCKERD_STATE:-$HERE/.build/dockerd}   # images and containers (several GB)
RUN=${RTLGEN_DOCKERD_RUN:-/run/rtlgen-dockerd}        # short: containerd's sockets live here (108-byte limit)
SOCK=$RUN/docker.sock
PIDFILE=$RUN/dockerd.pid
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER=${DOCKER:-/usr/bin/docker}

running() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
start)
    if ! running; then
        mkdir -p "$STATE" "$RUN/exec"
        # setsid: its own session, so the shell that started it can exit or be interrupted independently
        setsid "$DOCKERD" --data-root "$STATE" --exec-root "$RUN/exec" --pidfile "$PIDFILE" \
            -H "unix://$SOCK" --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
            --storage-driver overlay2 --log-level warn >"$RUN/dockerd.log" 2>&1 </dev/null &
        i=0
        until DOCKER_HOST="unix://$SOCK" "$DOCKER" version >/dev/null 2>&1; do
            i=$((i + 1))
            if [ $i -gt 120 ]; then echo "dockerd did not start; see $RUN/dockerd.log" >&2; tail -20 "$RUN/dockerd.log" >&2; exit 1; fi
            sleep 0.5
        done
    fi
    echo "export DOCKER_HOST=unix://$SOCK"
    ;;
stop)
    if running; then
        pid=$(cat "$PIDFILE")
        kill "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            if [ $i -gt 60 ]; then echo "dockerd $pid still running after 30s" >&2; exit 1; fi
            sleep 0.5
        done
        echo "stopped dockerd $pid"
    fi
    ;;
status)
    if running; then echo "running: pid $(cat "$PIDFILE"), DOCKER_HOST=unix://$SOCK"; else echo "not running"; exit 3; fi
    ;;
*)
    echo "usage: $0 start|stop|status" >&2; exit 2
    ;;
esac
