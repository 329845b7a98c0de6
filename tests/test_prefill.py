"""hooks.prefill: a batch's common prefix computed once, the same numbers as without sharing."""

from __future__ import annotations

import pytest
import torch

from hooks import steer
from hooks.forced import cot_context, forced_answers, forced_answers_naive
from hooks.generation import generate
from hooks.prefill import layout, prefix_cache
from probes import SteeringVector
from probes.chat import chat_prompt


def test_layout_splits_the_common_prefix(tiny):
    ids = [[5, 6, 7, 8, 9], [5, 6, 7, 1], [5, 6, 7, 8, 2, 3, 4]]
    lay = layout(tiny, ids, min_shared=2)
    assert lay.prefix == [5, 6, 7] and lay.shared == 3
    assert lay.pads == [2, 3, 0]  # suffixes [8, 9], [1], [8, 2, 3, 4], left-padded to 4
    assert lay.tokens.tolist()[2] == [8, 2, 3, 4] and lay.tokens[0, 2:].tolist() == [8, 9]
    assert lay.mask.tolist() == [[1, 1, 1, 0, 0, 1, 1], [1, 1, 1, 0, 0, 0, 1], [1] * 7]
    assert lay.positions.tolist()[0][2:] == [3, 4] and lay.positions.tolist()[2] == [3, 4, 5, 6]
    assert [lay.column(0, t) for t in range(5)] == [0, 1, 2, 5, 6]
    assert lay.suffix_column(1, 3) == 3
    with pytest.raises(ValueError, match="in the shared prefix"):
        lay.suffix_column(0, 2)


def test_layout_limits(tiny):
    ids = [[5, 6, 7, 8], [5, 6, 7, 8]]
    assert layout(tiny, ids, min_shared=1).shared == 3  # each row keeps one token of its own
    assert layout(tiny, ids, min_shared=1, keep_after=1).shared == 1
    assert layout(tiny, ids, min_shared=4).shared == 0  # too short to be worth a pass
    assert layout(tiny, ids, min_shared=None).shared == 0
    assert layout(tiny, [[5, 6, 7, 8]], min_shared=1).shared == 0  # one row: nothing to share
    plain = layout(tiny, [[1, 2, 3], [4, 5]], min_shared=1)
    assert (
        plain.shared == 0
        and plain.mask.tolist() == [[1, 1, 1], [0, 1, 1]]
        and prefix_cache(tiny, plain) is None
    )


def test_no_sharing_while_hooks_are_attached(tiny):
    vector = SteeringVector(torch.ones(tiny.cfg.d_model), "blocks.0.hook_resid_post", tiny.cfg.model_name)
    ids = [[5, 6, 7, 8], [5, 6, 7, 9]]
    with steer(tiny, vector, check_model=False):
        assert layout(tiny, ids, min_shared=1).shared == 0
    assert layout(tiny, ids, min_shared=1).shared == 3


def _few_shot_prompts(model) -> list[str]:
    examples = [
        "What is 3 + 4?",
        "The answer is 7.",
        "What is 10 - 6?",
        "The answer is 4.",
        "What is 2 times 5? Explain briefly.",
        "2 times 5 is 10. The answer is 10.",
    ]
    questions = ["What is 8 + 9?", "What is 15 - 7? Show your work.", "What is 6 times 3?"]
    return [
        chat_prompt(model, examples + [q], assistant_prefix="Let's think step by step.") for q in questions
    ]


@pytest.mark.integration
def test_shared_generation_is_token_exact_on_smollm2(smol):
    prompts = _few_shot_prompts(smol)
    assert layout(smol, smol.tokenizer(prompts)["input_ids"]).shared >= 64  # the sharing path runs
    shared = generate(smol, prompts, max_new_tokens=24, progress=False)
    unshared = generate(smol, prompts, max_new_tokens=24, share_prefix=False, progress=False)
    assert [o.token_ids for o in shared] == [o.token_ids for o in unshared]


@pytest.mark.integration
def test_shared_forced_answers_equal_naive_on_smollm2(smol):
    prompts = _few_shot_prompts(smol)
    cots = [" 8 + 9 = 17. So 17.", " 15 - 7 is 8.", " Six threes. That is 18. Done."]
    contexts, cuts = [], []
    for prompt, cot in zip(prompts, cots):
        ids, cs = cot_context(smol, prompt, cot, [i + 1 for i, ch in enumerate(cot) if ch == "."])
        contexts.append(ids)
        cuts.append(cs)
    kwargs = dict(cue="\nThe answer is (", letters="AB", layers=[2, 25], lens=True, progress=False)
    shared = forced_answers(smol, contexts, cuts, batch_size=3, rows_per_pass=4, **kwargs)
    naive = forced_answers_naive(smol, contexts, cuts, batch_size=4, **kwargs)
    for name in ("logprobs", "states", "lens"):
        for a, b in zip(getattr(shared, name), getattr(naive, name)):
            assert a.shape == b.shape
            assert torch.allclose(a, b, atol=2e-3), name
