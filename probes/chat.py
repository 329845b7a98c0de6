"""Render chat prompts through the model's own chat template.

Example:
    >>> prompt = chat_prompt(model, "Is Paris in France?", assistant_prefix="Yes")
    >>> prompt.endswith("<|im_start|>assistant\\nYes")
    True
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

log = logging.getLogger(__name__)

Message = dict[str, str]


def chat_prompt(
    model_or_tokenizer,
    turns: str | Sequence[str] | Sequence[Message],
    *,
    system: str | None = None,
    assistant_prefix: str = "",
) -> str:
    """The text the model sees for a conversation, ending where the assistant speaks next.

    `turns` is one user message, a list of strings alternating user / assistant (starting and
    ending with the user), or a list of ``{"role", "content"}`` dicts. `system=None` keeps the
    template's own default (SmolLM2 inserts a default system prompt). `assistant_prefix` is
    appended after the generation prompt, pre-filling the start of the answer.

    Example:
        >>> chat_prompt(model, ["What is 2+2?", "5", "Are you sure?"], assistant_prefix="I")
    """
    tokenizer = getattr(model_or_tokenizer, "tokenizer", model_or_tokenizer)
    messages = _messages(turns, system)
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        log.warning("the tokenizer has no chat template; using a plain 'User:/Assistant:' format")
        text = "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages) + "Assistant:"
        assistant_prefix = f" {assistant_prefix}" if assistant_prefix else ""
    return text + assistant_prefix


def _messages(turns: str | Sequence[str] | Sequence[Message], system: str | None) -> list[Message]:
    if isinstance(turns, str):
        turns = [turns]
    if not turns:
        raise ValueError("turns is empty; give at least one user message")
    if all(isinstance(t, dict) for t in turns):
        messages = [dict(t) for t in turns]
        for m in messages:
            if set(m) != {"role", "content"}:
                raise ValueError(f"each message needs exactly 'role' and 'content' keys, got {sorted(m)}")
    elif all(isinstance(t, str) for t in turns):
        if len(turns) % 2 == 0:
            raise ValueError(
                f"got {len(turns)} turns; alternate user/assistant and end with a user turn "
                "(put a pre-filled answer in assistant_prefix)"
            )
        roles = ["user", "assistant"]
        messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    else:
        raise TypeError("turns must be a string, a list of strings, or a list of message dicts")
    if system is not None:
        messages = [{"role": "system", "content": system}, *messages]
    return messages
