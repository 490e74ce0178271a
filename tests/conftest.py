"""Shared fixtures and marker handling.

A ``requires_<tool>`` test is skipped where the tool is missing on a developer's machine, but fails
under CI (``CI`` set), where ``make test`` has installed every tool: a green CI never hides one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_TOOL_MARKERS = {
    "requires_iverilog": ["iverilog", "vvp"],
    "requires_verilator": ["verilator"],
    "requires_yosys": ["yosys", "yosys-abc"],
    "requires_bwrap": ["bwrap"],
}


_TEST_CACHE: list[str] = []


def pytest_configure(config):
    """Keep every cache the suite writes (job results, synthesis front end, data) out of the user's home."""
    if not os.environ.get("RTLGEN_TEST_KEEP_CACHE"):
        _TEST_CACHE.append(tempfile.mkdtemp(prefix="rtlgen-test-cache-"))
        os.environ["RTLGEN_CACHE_DIR"] = _TEST_CACHE[-1]


def pytest_unconfigure(config):
    for path in _TEST_CACHE:
        shutil.rmtree(path, ignore_errors=True)


def shared_dir() -> Path:
    return Path(os.environ.get("RTLGEN_SHARED") or REPO.parent / "shared")


def pytest_collection_modifyitems(config, items):
    in_ci = bool(os.environ.get("CI"))
    for item in items:
        for marker, tools in _TOOL_MARKERS.items():
            if item.get_closest_marker(marker):
                missing = [t for t in tools if not shutil.which(t)]
                if missing and not in_ci:
                    item.add_marker(pytest.mark.skip(reason=f"missing {', '.join(missing)}"))
        if item.get_closest_marker("requires_data") and not shared_dir().is_dir() and not in_ci:
            item.add_marker(pytest.mark.skip(reason=f"no shared data at {shared_dir()}"))
        if item.get_closest_marker("requires_torch"):
            try:
                import torch  # noqa: F401
                import transformers  # noqa: F401
            except ImportError:
                if not in_ci:
                    item.add_marker(pytest.mark.skip(reason="torch/transformers not installed"))


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture
def sandbox(tmp_path):
    """A bwrap sandbox with its own cache and job dirs under the test's tmp dir."""
    from rtlgen.sandbox import Sandbox, SandboxConfig

    return Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs"), cache_dir=str(tmp_path / "cache")))
