"""Factories behind ``rtlgen.sandbox.core.EXECUTORS``: ``(spec, config, allow_unsafe) -> Executor``.

Remote and Ray are imported only when asked for, so a local run never loads httpx pools or Ray.
"""

from __future__ import annotations

from dataclasses import replace

from rtlgen.sandbox.executor import Executor, ExecutorKind, ExecutorSpec
from rtlgen.sandbox.settings import Backend, SandboxConfig


def local_executor(spec: ExecutorSpec, config: SandboxConfig, allow_unsafe: bool) -> Executor:
    from rtlgen.sandbox.runner import LocalExecutor

    if spec.kind is ExecutorKind.UNSAFE_LOCAL:
        config = replace(config, backend=Backend.UNSAFE_LOCAL)
    return LocalExecutor(config, allow_unsafe=allow_unsafe)


def remote_executor(spec: ExecutorSpec, config: SandboxConfig, allow_unsafe: bool) -> Executor:
    from rtlgen.sandbox.remote import RemoteExecutor

    return RemoteExecutor(spec.address, token=config.token, batch_size=config.batch_size)


def ray_executor(spec: ExecutorSpec, config: SandboxConfig, allow_unsafe: bool) -> Executor:
    from rtlgen.sandbox.ray_executor import RayExecutor

    return RayExecutor(spec.address, config=config, batch_size=config.batch_size, allow_unsafe=allow_unsafe)
