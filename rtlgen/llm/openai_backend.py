"""``openai:MODEL@BASE_URL[?key_env=NAME&concurrency=4&timeout=120&retries=4&backoff=1&n_mode=auto]``.

Talks to any OpenAI-compatible server (vLLM, ollama, llama.cpp, OpenAI) at ``BASE_URL/chat/completions``
(``/v1`` is added when the URL lacks it). The key comes from an environment variable (``OPENAI_API_KEY``
unless ``key_env`` names another; local servers need none). Prompts run on a thread pool of
``concurrency`` workers. 429, 5xx, timeouts, connection errors and malformed JSON are retried with
exponential backoff (``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` when under 60 s); a server that still fails after ``retries`` raises ``ModelServerError``. ``n > 1`` is sent as the
``n`` field and topped up with repeated requests when a server returns fewer choices (``n_mode=repeat``
always sends ``n = 1`` requests, for servers that ignore ``n``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from rtlgen.errors import InputError, RtlgenError
from rtlgen.llm.base import ModelBackend, Prompt, SamplingParams
from rtlgen.llm.spec import ModelSpec

_RETRY_STATUS = {408, 409, 425, 429}  # plus every 5xx


class ModelServerError(RtlgenError):
    """The model server kept failing (after retries) or refused the request outright (4xx)."""

    exit_code = 3


class _Retryable(Exception):
    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.wait_s = wait_s


class OpenAIBackend(ModelBackend):
    """Chat completions over HTTP with a concurrency limit, timeouts and retries."""

    OPTIONS = {
        "key_env": "environment variable holding the API key (default OPENAI_API_KEY; optional for local servers)",
        "concurrency": "requests in flight at once (default 4)",
        "timeout": "seconds per request (default 120)",
        "retries": "retries per request on 429/5xx/timeouts/malformed JSON (default 4)",
        "backoff": "first retry delay in seconds, doubled each retry (default 1)",
        "n_mode": "auto (send n, top up with repeats) or repeat (always n=1 requests)",
    }

    def __init__(self, model: str, base_url: str, api_key: str | None = None, concurrency: int = 4,
                 timeout_s: float = 120.0, retries: int = 4, backoff_s: float = 1.0, n_mode: str = "auto") -> None:
        if n_mode not in ("auto", "repeat"):
            raise InputError(f"openai n_mode must be auto or repeat, not {n_mode!r}")
        self.model = model
        base = base_url.rstrip("/")
        self.url = f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"
        self.concurrency, self.retries, self.backoff_s, self.n_mode = concurrency, retries, backoff_s, n_mode
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s))

    @classmethod
    def check_spec(cls, spec: ModelSpec) -> dict:
        """The constructor's arguments from ``spec``, every option checked; no connection is made."""
        spec.check_options(cls.OPTIONS)
        key_env = spec.option("key_env")
        api_key = os.environ.get(key_env or "OPENAI_API_KEY")
        if key_env and not api_key:
            raise InputError(f"model spec {spec.raw!r}: environment variable {key_env} is not set; export the API key")
        n_mode = spec.option("n_mode", "auto")
        if n_mode not in ("auto", "repeat"):
            raise InputError(f"model spec {spec.raw!r}: n_mode must be auto or repeat, not {n_mode!r}")
        return {"model": spec.target, "base_url": spec.base_url or "", "api_key": api_key,
                "concurrency": spec.int_option("concurrency", 4, minimum=1, maximum=1024),
                "timeout_s": spec.float_option("timeout", 120.0, minimum=0.001, maximum=86400.0),
                "retries": spec.int_option("retries", 4, maximum=100),
                "backoff_s": spec.float_option("backoff", 1.0, maximum=3600.0), "n_mode": n_mode}

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> OpenAIBackend:
        return cls(**cls.check_spec(spec))

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[str]]:
        if not prompts:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool:
            return list(pool.map(lambda p: self._complete(p, params), prompts))

    def _complete(self, prompt: Prompt, params: SamplingParams) -> list[str]:
        """All ``n`` completions of one prompt (prompts run in parallel; one prompt's requests in series)."""
        texts: list[str] = []
        attempt_seed = params.seed
        while len(texts) < params.n:
            want = 1 if self.n_mode == "repeat" else params.n - len(texts)
            got = self._request(prompt, params, want, attempt_seed)
            texts.extend(got[:params.n - len(texts)])
            attempt_seed += len(got)
        return texts

    def _body(self, prompt: Prompt, params: SamplingParams, n: int, seed: int) -> dict:
        body = {"model": self.model, "messages": [{"role": m.role, "content": m.content} for m in prompt],
                "temperature": params.temperature, "max_tokens": params.max_new_tokens, "seed": seed}
        if params.temperature > 0:
            body["top_p"] = params.top_p
        if n > 1:
            body["n"] = n
        return body

    def _request(self, prompt: Prompt, params: SamplingParams, n: int, seed: int) -> list[str]:
        body = self._body(prompt, params, n, seed)
        last = ""
        for attempt in range(self.retries + 1):
            try:
                return self._post(body)
            except _Retryable as exc:
                last = str(exc)
                if attempt < self.retries:
                    delay = self.backoff_s * 2 ** attempt
                    time.sleep(exc.wait_s if exc.wait_s is not None else delay)
        raise ModelServerError(f"model server {self.url} failed {self.retries + 1} times; last error: {last}")

    def _post(self, body: dict) -> list[str]:
        try:
            resp = self.client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error: {exc}") from exc
        if resp.status_code in _RETRY_STATUS or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}: {resp.text[:200]}", _retry_after(resp))
        if resp.status_code >= 400:
            raise ModelServerError(f"model server {self.url} refused the request: HTTP {resp.status_code}: "
                                   f"{resp.text[:300]}")
        try:
            choices = resp.json()["choices"]
            if not choices:
                raise ValueError("no choices")
            return [_choice_text(c) for c in sorted(choices, key=lambda c: c.get("index", 0))]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _Retryable(f"malformed response: {resp.text[:200]!r}") from exc

    def close(self) -> None:
        self.client.close()


def _choice_text(choice: dict) -> str:
    """The assistant text of one choice; a missing or null content is an empty completion, not an error."""
    message = choice.get("message")
    if isinstance(message, dict):
        return message.get("content") or ""
    return choice.get("text") or ""


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        value = float(resp.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if 0 <= value < 60 else None
