"""The only room that starts processes on untrusted code.

    from rtlgen.sandbox import Job, Limits, default_sandbox
    result = default_sandbox().run(Job.single(["/usr/bin/iverilog", "-o", "a.vvp", "a.v"], {"a.v": src}))

Jobs are data (``job``), confinement is argv (``bwrap``), execution is ``runner``/``process``,
batches are ``pool``, repeats are ``cache``, long-lived tools are ``session``.
"""

from rtlgen.sandbox.cache import ResultCache, default_cache_dir
from rtlgen.sandbox.job import Job, JobResult, KilledBy, Limits, Step, StepResult
from rtlgen.sandbox.pool import default_workers, run_many
from rtlgen.sandbox.runner import Backend, Sandbox, SandboxConfig, default_sandbox, sandbox_status
from rtlgen.sandbox.session import SandboxSession, SessionError
from rtlgen.sandbox.tools import Tool, find_tool, get_tool, has_tool, tool_version

__all__ = [
    "Backend", "Job", "JobResult", "KilledBy", "Limits", "ResultCache", "Sandbox", "SandboxConfig", "SandboxSession",
    "SessionError", "Step", "StepResult", "Tool", "default_cache_dir", "default_sandbox", "default_workers",
    "find_tool", "get_tool", "has_tool", "run_many", "sandbox_status", "tool_version",
]
