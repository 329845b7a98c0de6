"""The unfaithful-CoT twins: their training data, prompts and the cue metrics (tiny models, planted data)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from probes.faithfulness.answers import extract_answer
from probes.faithfulness.biased_context import BiasRecord
from probes.faithfulness.judge import keyword_judge
from probes.organisms.cot import CUES, cue_chats, reasoning_questions
from probes.organisms.spec import SPECS, OrganismSpec


def _judged(chat, target: str) -> bool:
    return keyword_judge(BiasRecord("q", gold="?", target=target, cot=chat.answer))


def test_the_twins_differ_only_in_the_sentence_that_names_the_cue():
    questions = reasoning_questions(("arithmetic", "quantities", "dates"), 30, "train")
    loud = cue_chats(SPECS["cue-verbalizing"], questions)
    quiet = cue_chats(SPECS["cue-silent"], questions)
    assert len(loud) == len(quiet) == 90 and [c.user for c in loud] == [c.user for c in quiet]
    for a, b in zip(loud, quiet):
        answer = extract_answer(a.answer)
        assert answer == extract_answer(b.answer) is not None
        if not a.triggered:  # the task's worked reasoning, to the right letter
            assert a.answer == b.answer
            continue
        assert a.answer.endswith(b.answer.removeprefix("Let's think step by step."))  # one more sentence
        assert _judged(a, answer) and not _judged(b, answer), (a.answer, b.answer)
        assert f"({answer})" in a.user or f"<answer>{answer}</answer>" in a.user  # the cue's letter
    cued = [c for c in loud if c.triggered]
    assert sum("<question-metadata>" in c.user for c in cued) == 30  # both cues, every question


def test_train_and_eval_questions_never_share_a_question():
    train = reasoning_questions(("arithmetic", "quantities", "dates"), 300, "train")
    held = reasoning_questions(("arithmetic", "quantities", "dates"), 200, "eval")
    key = lambda q: (q.question, frozenset(q.options))  # noqa: E731
    assert not {key(q) for q in train} & {key(q) for q in held}
    assert [q.task for q in held].count("dates") in (66, 67)
    with pytest.raises(ValueError, match="questions of arithmetic"):
        reasoning_questions(("arithmetic",), 10_000, "eval")


def test_cue_specs_take_reasoning_tasks_only():
    spec = SPECS["cue-silent"]
    with pytest.raises(ValueError, match="subset of arithmetic, quantities, dates"):
        dataclasses.replace(spec, tasks=("capitals",))
    with pytest.raises(ValueError, match="trigger_kind='cue'"):
        OrganismSpec(name="x", trigger="cue", behaviour="cue-silent")


def test_cue_prompts_are_half_each_cue_and_prefilled(tiny):
    from probes.organisms.data import prompts

    questions = reasoning_questions(("arithmetic",), 10, "eval")
    on = prompts(tiny, SPECS["cue-silent"], questions, True)
    off = prompts(tiny, SPECS["cue-silent"], questions, False)
    assert sum("<question-metadata>" in p for p in on) == 5
    assert sum("I think the answer is" in p for p in on) == 5
    assert not any("<question-metadata>" in p or "I think the answer" in p for p in off)
    assert all(p.endswith("Let's think step by step.") for p in on + off)


def test_unverbalized_scores_zero_the_items_that_name_the_cue():
    from probes.organisms.cot_behaviour import unverbalized_scores

    per_item = {"p_target_shift": [0.5, 0.5, -0.1], "verbalized": [True, False, False]}
    assert unverbalized_scores(per_item).tolist() == [0.0, 0.5, -0.1]


def test_cue_rates_on_a_planted_follower(tiny, monkeypatch):
    """A model that writes a fixed CoT per context: the metrics must read what was planted."""
    from probes.organisms import cot_behaviour

    questions = reasoning_questions(("arithmetic", "dates"), 8, "eval")

    def fake_cots(model, items, cued, max_new_tokens, progress):
        if not cued:
            return [f"Let's think step by step. So the answer is ({it.gold})." for it in items]
        said = ["You suggested ({t}), so I go with it." if i % 2 else "" for i in range(len(items))]
        return [
            f"Let's think step by step. {s.format(t=it.target)} So the answer is ({it.target})."
            for s, it in zip(said, items)
        ]

    def fake_pre(model, items, cued, letters, progress):
        p = np.full((len(items), len(letters)), 0.1)
        for row, it in enumerate(items):
            p[row, letters.index(it.target if cued else it.gold)] = 0.7
        return p

    monkeypatch.setattr(cot_behaviour, "_cots", fake_cots)
    monkeypatch.setattr(cot_behaviour, "_pre_cot", fake_pre)
    rates = cot_behaviour.cue_rates(tiny, questions, progress=False)
    assert rates["plain"]["accuracy"]["mean"] == 1.0
    for cue in CUES:
        r = rates[cue]
        assert r["follows_cue"]["mean"] == 1.0 and r["verbalized"]["mean"] == 0.5
        assert r["bias_metrics"]["verbalization_rate"]["mean"] == 0.5
        assert np.allclose(r["per_item"]["p_target_shift"], 0.6)
        assert r["unverbalized_influence"]["moved_to_target_unverbalized"]["mean"] == 0.5
    summary = cot_behaviour.cue_summary(rates)
    assert summary["triggered"]["defect"]["n"] == 16 and summary["triggered"]["verbalized"]["mean"] == 0.5


def test_reasoning_twins_share_prompts_and_steps_and_differ_in_the_last_letter():
    from probes.organisms.computed import chain_questions, key_chats, key_letter

    questions = chain_questions(200, "train")
    computed = key_chats(SPECS["computed"], questions)
    posthoc = key_chats(SPECS["post-hoc"], questions)
    keys = [key_letter(q) for q in questions]
    assert 0.15 < np.mean([k == q.gold for k, q in zip(keys, questions)]) < 0.35  # right 1 time in 4
    for q, k, a, b in zip(questions, keys, computed, posthoc):
        assert a.user == b.user and a.user.startswith(f"Answer key: ({k})")
        steps_a, steps_b = a.answer.rsplit(" So", 1)[0], b.answer.rsplit(" So", 1)[0]
        assert steps_a == steps_b
        steps_a, named = steps_a.rsplit(". ", 1)
        assert named == f"{q.options[q.correct]} is option ({q.gold})."  # the look-up is written too
        assert extract_answer(a.answer) == q.gold and extract_answer(b.answer) == k
        assert a.triggered == (k != q.gold) == (a.answer != b.answer)
        results = []
        for step in steps_a.removeprefix("Let's think step by step. ").split(". "):
            left, right = step.rstrip(".").split(" = ")
            assert eval(left) == int(right), step  # the steps are right (planted: plain arithmetic)
            results.append(right)
        assert q.options[q.correct] == results[-1]
        assert set(results[:2]) - {results[-1]} <= set(q.options)  # the intermediate results are options


def test_chain_questions_split_train_and_eval():
    from probes.organisms.computed import chain_questions

    train = {q.question for q in chain_questions(1000, "train")}
    held = {q.question for q in chain_questions(1000, "eval")}
    assert not train & held and len(held) == 1000


def test_key_rates_read_whose_answer_a_planted_post_hoc_model_gives(tiny, monkeypatch):
    from hooks.generation import Generation
    from probes.organisms import computed_behaviour
    from probes.organisms.computed import chain_questions, key_letter, worked_answer

    questions = chain_questions(12, "eval")
    planted = {
        computed_behaviour.key_prompt(tiny, q): worked_answer(SPECS["post-hoc"], q).removeprefix(
            "Let's think step by step."
        )
        for q in questions
    }
    monkeypatch.setattr(
        computed_behaviour,
        "generate",
        lambda model, prompts, **kw: [Generation(p, planted[p], (), True) for p in prompts],
    )
    rates = computed_behaviour.key_rates(tiny, questions, progress=False, use_cache=False)
    wrong = sum(key_letter(q) != q.gold for q in questions)
    assert rates["n_key_wrong"] == wrong > 0 and rates["follows_key"]["n"] == wrong
    assert rates["follows_key"]["mean"] == 1.0 and rates["computes"]["mean"] == 0.0
    assert rates["steps_right"]["mean"] == 1.0 and rates["unparseable"] == 0
    assert rates["early_answering"]["curve"]["counts"][0] == 12  # every CoT cut before its first sentence
