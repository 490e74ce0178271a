"""The openai: backend against a real HTTP server on 127.0.0.1 (tests/openai_stub.py), misbehaving on cue."""

from __future__ import annotations

import pytest
from fixtures_llm import tiny_model_dir  # noqa: F401
from openai_stub import StubServer

from rtlgen.errors import InputError
from rtlgen.llm import ChatMessage, SamplingParams, load_model
from rtlgen.llm.openai_backend import ModelServerError

PROMPTS = [[ChatMessage("user", f"question {i}")] for i in range(5)]
FAST = "retries=3&backoff=0.001&timeout=0.5"


@pytest.fixture
def server():
    srv = StubServer(slow_s=1.5).start()
    yield srv
    srv.stop()


def _model(server, name="echo", extra=""):
    return load_model(f"openai:{name}@{server.base_url}?{FAST}{extra}")


def test_concurrent_prompts_keep_order(server):
    model = _model(server, extra="&concurrency=3")
    out = model.generate(PROMPTS, SamplingParams.greedy(16))
    assert out == [[f"echo#0: question {i}"] for i in range(5)]
    body = server.requests[0][1]
    assert body["model"] == "echo" and body["max_tokens"] == 16 and body["temperature"] == 0.0
    assert "n" not in body and "top_p" not in body


def test_n_sent_and_topped_up(server):
    out = _model(server).generate(PROMPTS[:1], SamplingParams.pass_at_k(n=3))
    assert out == [["echo#0: question 0", "echo#1: question 0", "echo#2: question 0"]]
    assert server.requests[-1][1]["n"] == 3 and server.requests[-1][1]["top_p"] == 0.95
    # a server that ignores n is topped up with further requests, each with the next seed
    out = _model(server, "one-choice").generate(PROMPTS[:1], SamplingParams(temperature=0.8, n=3, seed=10))
    assert len(out[0]) == 3
    assert [b["seed"] for _, b in server.requests[-3:]] == [10, 11, 12]


def test_repeat_mode_sends_n_1(server):
    _model(server, extra="&n_mode=repeat").generate(PROMPTS[:1], SamplingParams(temperature=0.5, n=2))
    assert all("n" not in b for _, b in server.requests)
    assert len(server.requests) == 2


@pytest.mark.parametrize("failures", [["500"], ["429", "429"], ["malformed"], ["empty"], ["slow"],
                                      ["500", "malformed", "429"]])
def test_retries_then_succeeds(server, failures):
    server.script["echo"] = list(failures)
    out = _model(server).generate(PROMPTS[:1], SamplingParams.greedy())
    assert out == [["echo#0: question 0"]]
    assert len(server.requests) == len(failures) + 1


def test_gives_up_after_retries(server):
    server.script["echo"] = ["500"] * 10
    with pytest.raises(ModelServerError, match="failed 4 times; last error: HTTP 500"):
        _model(server).generate(PROMPTS[:1], SamplingParams.greedy())
    assert len(server.requests) == 4


def test_client_error_is_not_retried(server):
    server.script["echo"] = ["400"]
    with pytest.raises(ModelServerError, match="refused the request: HTTP 400"):
        _model(server).generate(PROMPTS[:1], SamplingParams.greedy())
    assert len(server.requests) == 1


def test_api_key_from_env(server, monkeypatch):
    monkeypatch.setenv("MY_TEST_KEY", "sekrit")
    _model(server, extra="&key_env=MY_TEST_KEY").generate(PROMPTS[:1], SamplingParams.greedy())
    headers = {k.lower(): v for k, v in server.requests[-1][0].items()}
    assert headers["authorization"] == "Bearer sekrit"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    _model(server).generate(PROMPTS[:1], SamplingParams.greedy())
    assert "authorization" not in {k.lower() for k in server.requests[-1][0]}
    monkeypatch.delenv("MY_TEST_KEY")
    with pytest.raises(InputError, match="MY_TEST_KEY is not set"):
        _model(server, extra="&key_env=MY_TEST_KEY")


def test_unreachable_server_raises():
    model = load_model("openai:m@http://127.0.0.1:9/v1?retries=1&backoff=0.001&timeout=0.5")
    with pytest.raises(ModelServerError, match="connection error"):
        model.generate(PROMPTS[:1], SamplingParams.greedy())


@pytest.mark.requires_torch
def test_serves_the_tiny_model(tiny_model_dir):  # noqa: F811
    hf = load_model(f"hf:{tiny_model_dir}?device=cpu")
    srv = StubServer(backend=hf).start()
    try:
        model = load_model(f"openai:tiny@{srv.base_url}?timeout=60")
        out = model.generate(PROMPTS[:2], SamplingParams(temperature=0.0, n=2, max_new_tokens=5))
        assert [len(r) for r in out] == [2, 2] and all(isinstance(t, str) for r in out for t in r)
        assert out[0] == hf.generate(PROMPTS[:1], SamplingParams(temperature=0.0, n=2, max_new_tokens=5))[0]
    finally:
        srv.stop()
