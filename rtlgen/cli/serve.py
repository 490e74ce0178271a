"""`rtlgen serve`: the sandbox, the judge and the RL reward as an HTTP service (needs ``rtlgen[service]``).

    rtlgen serve                                            # http://127.0.0.1:8000, no token (loopback only)
    rtlgen serve --host 0.0.0.0 --token-file /run/secrets/rtlgen-token --workers 16
    rtlgen serve --uds /run/rtlgen/worker-1.sock            # a compose worker: no network, a socket
    rtlgen serve --workers-dir /run/rtlgen --host 0.0.0.0 --token-file T   # the api in front of the workers
    rtlgen serve --config serve.yaml --set max_limits.wall_s=120

Clients: ``rtlgen eval ... --executor remote:http://127.0.0.1:8000``; verl's sandbox-fusion reward at
``/run_code``; OpenRLHF's ``--remote_rm_url http://HOST:PORT/get_reward``. See ``rtlgen.service``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rtlgen.errors import InputError


def serve(
    host: Optional[str] = typer.Option(None, help="address to listen on (default 127.0.0.1; others need a token)"),
    port: Optional[int] = typer.Option(None, help="TCP port (default 8000)"),
    workers: Optional[int] = typer.Option(None, help="jobs run at once by this server's thread pool "
                                                     "(default: all cores)"),
    token_file: Optional[Path] = typer.Option(None, "--token-file", help="file holding the bearer token "
                                                                         "(default $RTLGEN_TOKEN_FILE)"),
    uds: Optional[str] = typer.Option(None, "--uds", help="listen on this unix socket instead of TCP"),
    workers_dir: Optional[Path] = typer.Option(None, "--workers-dir", help="forward jobs to the workers "
                                               "listening on *.sock in this folder instead of running them here"),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir", help="the server's job result cache"),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file of ServiceConfig keys"),
    overrides: list[str] = typer.Option([], "--set", help="key=value over the config (e.g. queue_size=512)"),
) -> None:
    """Serve sandbox jobs, judging, RL rewards and SandboxFusion's /run_code over HTTP."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError("rtlgen serve needs FastAPI and uvicorn: pip install 'rtlgen[service]'") from None
    from rtlgen.service.server import serve as run_server
    from rtlgen.service.settings import load_service_config

    extra = [f"sandbox.cache_dir={cache_dir}"] if cache_dir else []
    cfg = load_service_config(config, [*overrides, *extra], host=host, port=port, workers=workers,
                              token_file=str(token_file) if token_file else None, uds=uds,
                              workers_dir=str(workers_dir) if workers_dir else None)
    if cfg.workers_dir and not Path(cfg.workers_dir).is_dir():
        raise InputError(f"--workers-dir {cfg.workers_dir} is not a folder")
    run_server(cfg)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
