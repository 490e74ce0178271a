"""The only room that starts processes on untrusted code.

    from rtlgen.sandbox import Job, Limits, default_sandbox
    result = default_sandbox().run(Job.single(["/usr/bin/iverilog", "-o", "a.vvp", "a.v"], {"a.v": src}))

Jobs are data (``job``), confinement is argv (``bwrap``), where jobs run is an ``executor`` (local
bubblewrap in ``runner``, ``remote``, ``ray_executor``), ``core.Sandbox`` keeps the cache and dedup in
front of it, batches are ``Sandbox.run_many``, long-lived tools are ``session``.
"""

from rtlgen.sandbox.cache import ResultCache, default_cache_dir
from rtlgen.sandbox.core import Sandbox, build_sandbox, default_sandbox, sandbox_status
from rtlgen.sandbox.executor import ENV_VAR, Executor, ExecutorKind, ExecutorSpec, parse_executor
from rtlgen.sandbox.job import Job, JobResult, KilledBy, Limits, Step, StepResult
from rtlgen.sandbox.pool import default_workers, run_many
from rtlgen.sandbox.session import SandboxSession, SessionError
from rtlgen.sandbox.settings import Backend, SandboxConfig
from rtlgen.sandbox.tools import Tool, find_tool, get_tool, has_tool, tool_version

__all__ = [
    "ENV_VAR", "Backend", "Executor", "ExecutorKind", "ExecutorSpec", "Job", "JobResult", "KilledBy", "Limits",
    "ResultCache", "Sandbox", "SandboxConfig", "SandboxSession", "SessionError", "Step", "StepResult", "Tool",
    "build_sandbox", "default_cache_dir", "default_sandbox", "default_workers", "find_tool", "get_tool", "has_tool",
    "parse_executor", "run_many", "sandbox_status", "tool_version",
]
