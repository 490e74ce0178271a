"""Model backends (``hf:``, ``openai:``, ``golden``), prompt building and code extraction."""
