"""A throwaway Ray cluster of several nodes on loopback, for tests and benchmarks on one machine.

Ray binds every interface of a host unless its processes live in a private network namespace. So the
head, the other nodes and the driver that talks to them all run inside one ``unshare --net --pid``
namespace whose only interface is ``lo``; nothing is reachable from outside, and nothing outside is
reachable from it. Job dirs must not be shared with processes outside: their names carry the creator's
pid, which means nothing across pid namespaces, so each side would take the other's live dirs for stale
ones (``rtlgen.sandbox.runner.remove_stale_job_dirs``). ``namespace_env`` gives the driver (and through
it, the nodes and their actors) a jobs dir of its own:

    argv = private_namespace_argv([sys.executable, "my_driver.py"])  # outside: run this, with
    env = namespace_env(private_dir)                                   # job dirs of its own (see below)
    with LoopbackCluster.start(nodes=2) as cluster:                   # inside, in the driver:
        executor = RayExecutor(cluster.address)
        cluster.kill_node(1)                                          # a node dies mid-run

Each node is one ``ray start --block`` process in its own session, with ``--num-cpus`` and a custom
resource ``rtlgen_node_<i>`` that tells the nodes apart. ``kill_node`` and ``stop`` signal only the
process trees this helper started. The pid namespace is the backstop: the driver is its init, so when
it exits the kernel ends every Ray process left in it, and no signal ever reaches a process outside.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rtlgen.errors import SandboxUnavailableError

HEAD_PORT = 6379  # free by construction: the namespace has its own ports
_NS_FLAGS = ["--net", "--pid", "--mount-proc", "--fork", "--kill-child"]
# a node that dies is noticed in about 3 s instead of Ray's default of about 30 s
FAST_FAILURE_ENV = {"RAY_health_check_initial_delay_ms": "1000", "RAY_health_check_period_ms": "1000",
                    "RAY_health_check_timeout_ms": "1000", "RAY_health_check_failure_threshold": "3"}


def namespace_support() -> tuple[bool, str]:
    """(usable, reason): can this machine run a loopback cluster (Ray installed, ``unshare`` allowed)?"""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False, "ray is not installed: pip install 'rtlgen[ray]'"
    if not shutil.which("unshare"):
        return False, "unshare (util-linux) is not installed"
    if not shutil.which("ip"):
        return False, "ip (iproute2) is not installed; it brings lo up inside the namespace"
    probe = subprocess.run(private_namespace_argv(["/bin/true"]), capture_output=True, text=True, timeout=30,
                           check=False)
    if probe.returncode != 0:
        return False, f"unshare --net --pid is not permitted here: {probe.stderr.strip()[:200]}"
    return True, "unshare works"


def private_namespace_argv(argv: list[str]) -> list[str]:
    """``argv`` run as the init of a new network and pid namespace (as root, else in a user namespace)."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, *_NS_FLAGS, "--", *argv]


def namespace_env(jobs_dir: str | Path) -> dict[str, str]:
    """The environment for the namespaced driver: this one, with ``$RTLGEN_JOBS_DIR`` private to it."""
    return {**os.environ, "RTLGEN_JOBS_DIR": str(jobs_dir)}


def _ray_cli() -> str:
    here = Path(sys.executable).with_name("ray")
    found = str(here) if here.exists() else shutil.which("ray")
    if not found:
        raise SandboxUnavailableError("the ray command is not installed: pip install 'rtlgen[ray]'")
    return found


def _descendants(root: int) -> list[int]:
    """Every live descendant of ``root``, from /proc (children before grandchildren)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces and parentheses
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(0), [])
        out.extend(kids)
        todo.extend(kids)
    return out


@dataclass(frozen=True)
class _Node:
    index: int
    process: subprocess.Popen
    log: Path


class LoopbackCluster:
    """Nodes started by ``start``; use inside a private namespace (see ``private_namespace_argv``)."""

    def __init__(self, temp_dir: Path, nodes: list[_Node], owns_temp: bool) -> None:
        self.temp_dir = temp_dir
        self.address = f"127.0.0.1:{HEAD_PORT}"
        self._nodes = nodes
        self._owns_temp = owns_temp

    @classmethod
    def start(cls, nodes: int = 2, cpus_per_node: int = 1, temp_dir: str | None = None, fast_failure: bool = True,
              timeout_s: float = 90.0) -> LoopbackCluster:
        """Bring ``lo`` up, start a head and ``nodes - 1`` more nodes on 127.0.0.1; each call blocks until
        its node reports that it started."""
        if os.getpid() != 1:
            raise SandboxUnavailableError("LoopbackCluster runs inside a private namespace: start the driver "
                                          "with private_namespace_argv (Ray would otherwise bind every interface)")
        if not os.environ.get("RTLGEN_JOBS_DIR"):  # the nodes and their actors inherit it
            raise SandboxUnavailableError("LoopbackCluster needs $RTLGEN_JOBS_DIR private to the namespace (start "
                                          "the driver with env=namespace_env(DIR)): see the module docstring")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
        owns = temp_dir is None
        root = Path(temp_dir or tempfile.mkdtemp(prefix="rtlgen-ray-"))
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(FAST_FAILURE_ENV if fast_failure else {})}
        cluster = cls(root, [], owns)
        try:
            for i in range(nodes):
                cluster._nodes.append(cluster._start_node(i, cpus_per_node, env, timeout_s))
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _start_node(self, index: int, cpus: int, env: dict[str, str], timeout_s: float) -> _Node:
        common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", f'--resources={{"rtlgen_node_{index}": 1}}',
                  "--disable-usage-stats", "--block"]
        if index == 0:
            argv = [_ray_cli(), "start", "--head", f"--port={HEAD_PORT}", "--include-dashboard=false",
                    f"--temp-dir={self.temp_dir}", *common]
        else:
            argv = [_ray_cli(), "start", f"--address={self.address}", *common]
        log = self.temp_dir / f"node-{index}.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True)
        node = _Node(index, proc, log)
        deadline = time.monotonic() + timeout_s
        while b"Ray runtime started" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                self._kill_tree(node)
                raise SandboxUnavailableError(f"ray node {index} did not start: {tail[0][:200]}")
            time.sleep(0.2)
        return node

    def kill_node(self, index: int) -> None:
        """SIGKILL node ``index`` (its raylet, workers and actors): a machine that dies without warning."""
        self._kill_tree(self._nodes[index])

    def stop(self) -> None:
        """Stop the non-head nodes, then the head; remove the temp dir this helper made."""
        for node in reversed(self._nodes):
            self._kill_tree(node)
        self._nodes = []
        if self._owns_temp:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    @staticmethod
    def _kill_tree(node: _Node) -> None:
        """The node's ``ray start`` process and every descendant of it: only what this helper started. Stopped
        first so none can start a new child between the listing and the kill."""
        pids = [node.process.pid, *_descendants(node.process.pid)]
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        try:
            node.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self) -> LoopbackCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["FAST_FAILURE_ENV", "HEAD_PORT", "LoopbackCluster", "namespace_env", "namespace_support",
           "private_namespace_argv"]
