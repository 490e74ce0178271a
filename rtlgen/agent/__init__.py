"""The self-correcting spec-to-RTL agent (``rtlgen spec2rtl``): see ``rtlgen.agent.loop``."""

from rtlgen.agent.loop import Agent, AgentConfig, AgentResult, RoundRecord, TestSource, run_agent
from rtlgen.agent.testbench import Verdict, random_harness

__all__ = ["Agent", "AgentConfig", "AgentResult", "RoundRecord", "TestSource", "Verdict", "random_harness",
           "run_agent"]
