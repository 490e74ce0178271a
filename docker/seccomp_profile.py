"""Write the seccomp profile the workers run under: Docker's default profile plus the namespace syscalls
bubblewrap needs.

    python3 docker/seccomp_profile.py docker/.build/seccomp-bwrap.json

Docker's default profile allows ``clone``/``unshare``/``mount``/``umount2``/``setns`` only to a container
holding CAP_SYS_ADMIN, refuses ``clone`` with namespace flags otherwise, and never allows
``pivot_root``. bubblewrap needs all of them to build a job's namespaces and root. This adds one rule
allowing exactly those syscalls and keeps every other rule of the default profile, so a worker can drop
CAP_SYS_ADMIN (see docs/docker.md for the measurements).

The default profile is read from the Debian package of the engine's own source
(``golang-github-docker-docker-dev``, fetched with ``apt-get download``) so it matches the installed
engine and no copy of it lives in this repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "golang-github-docker-docker-dev"
MEMBER = "usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
# what bwrap calls to make its namespaces and new root (clone3 too: glibc may try it first)
BWRAP_SYSCALLS = ["clone", "clone3", "unshare", "mount", "umount2", "pivot_root", "setns"]


def default_profile(workdir: Path) -> dict:
    workdir.chmod(0o1777)  # apt-get download fetches as the _apt user
    subprocess.run(["apt-get", "download", "-q", PACKAGE], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    deb = next(workdir.glob(f"{PACKAGE}_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(workdir / "x")], check=True)
    return json.loads((workdir / "x" / MEMBER).read_text())


def with_namespaces(profile: dict) -> dict:
    rule = {"names": BWRAP_SYSCALLS, "action": "SCMP_ACT_ALLOW", "args": [],
            "comment": "rtlgen: bubblewrap builds each job's namespaces and root without CAP_SYS_ADMIN",
            "includes": {}, "excludes": {}}
    out = dict(profile)
    # the default's clone3 -> ENOSYS rules would shadow the allow rule for clone3; drop them
    out["syscalls"] = [s for s in profile["syscalls"]
                       if not (s["names"] == ["clone3"] and s["action"] == "SCMP_ACT_ERRNO")] + [rule]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        profile = with_namespaces(default_profile(Path(tmp)))
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(profile, indent=1) + "\n")
    print(f"seccomp_profile: wrote {target} ({len(profile['syscalls'])} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
