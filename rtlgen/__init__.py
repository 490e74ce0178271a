"""rtlgen: LLM-driven hardware design with sandboxed simulation, synthesis and evaluation.

Subpackages are the rooms of the project: ``sandbox`` runs tools on untrusted code, ``sim`` and
``synth`` turn tool output into typed results, ``evals`` and ``rewards`` turn results into numbers,
``llm`` and ``agent`` produce code.
"""

__version__ = "0.1.0"
