"""``rtlgen serve``: the sandbox as an HTTP service (FastAPI + uvicorn, the ``rtlgen[service]`` extra).

    rtlgen serve --host 127.0.0.1 --port 8000 --workers 8 --token-file token.txt
    rtlgen eval ... --executor remote:http://127.0.0.1:8000

Endpoints (``rtlgen.service.app``): ``POST /v1/jobs`` (a batch of sandbox jobs), ``POST /v1/judge``
(completions against a testbench, the hardened judge), ``POST /v1/reward`` and ``/get_reward`` (OpenRLHF's
remote reward shape), ``POST /run_code`` (SandboxFusion-compatible, ``language: verilog``), ``GET
/v1/tools``, ``/healthz``, ``/readyz``, ``/metrics``. The service is a thin shell around the same
``rtlgen.sandbox.Sandbox`` every other room uses. Importing this package loads nothing heavy: FastAPI is
imported by ``rtlgen.service.app``.
"""

from __future__ import annotations

from rtlgen.service.settings import ServiceConfig

__all__ = ["ServiceConfig"]
