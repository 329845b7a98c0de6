"""hooks.forced: forced answers after each cut, shared-prefix version against the naive one."""

from __future__ import annotations

import pytest
import torch

from hooks.forced import cot_context, forced_answers, forced_answers_naive, letter_ids
from probes.chat import chat_prompt

CUE = " ("


def direct(model, ids, cut, cue, letters):
    """Letter log-probs from one unpadded pass over context[:cut] + cue."""
    tokens = list(ids[:cut]) + model.tokenizer(cue, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logprobs = model(torch.tensor([tokens]))[0, -1].float().log_softmax(-1)
    return logprobs[letter_ids(model.tokenizer, letters)]


def test_naive_matches_direct_computation(tiny):
    contexts = [tiny.tokenizer(t, add_special_tokens=False)["input_ids"] for t in ("hello there. ok.", "abc")]
    cuts = [[2, 7, 16], [1, 3]]
    out = forced_answers_naive(tiny, contexts, cuts, cue=CUE, letters="ABCD", batch_size=2, progress=False)
    for ids, cs, lp in zip(contexts, cuts, out.logprobs):
        assert lp.shape == (len(cs), 4)
        expected = torch.stack([direct(tiny, ids, c, CUE, "ABCD") for c in cs])
        assert torch.allclose(lp, expected, atol=1e-5)
    assert out.answers() == [["ABCD"[int(j)] for j in lp.argmax(-1)] for lp in out.logprobs]


def test_states_are_the_residual_before_the_cut(tiny):
    ids = tiny.tokenizer("hello there. ok.", add_special_tokens=False)["input_ids"]
    out = forced_answers_naive(tiny, [ids], [[3, 9]], cue=CUE, layers=[0, 2], lens=True, progress=False)
    _, cache = tiny.run_with_cache(torch.tensor([ids]))
    for row, cut in enumerate([3, 9]):
        for k, layer in enumerate([0, 2]):
            expected = cache[f"blocks.{layer}.hook_resid_post"][0, cut - 1]
            assert torch.allclose(out.states[0][row, k], expected, atol=1e-5)
    assert out.lens[0].shape == (2, tiny.cfg.n_layers, 4)
    assert torch.allclose(out.lens[0].exp().sum(-1), torch.ones(2, tiny.cfg.n_layers), atol=1e-5)


def test_bad_input(tiny):
    ids = [[5, 6, 7]]
    with pytest.raises(ValueError, match="one cut list per context"):
        forced_answers_naive(tiny, ids, [], cue=CUE)
    with pytest.raises(ValueError, match="cuts must be in 1..3"):
        forced_answers_naive(tiny, ids, [[0, 2]], cue=CUE)
    with pytest.raises(ValueError, match="no cuts"):
        forced_answers_naive(tiny, ids, [[]], cue=CUE)
    with pytest.raises(ValueError, match="need exactly 1"):
        letter_ids(tiny.tokenizer, "Aé")


@pytest.mark.integration
def test_shared_prefix_equals_naive_on_smollm2(smol):
    prompt = chat_prompt(smol, "Which city is larger?\n(A) Lyon\n(B) Tokyo", assistant_prefix="Let's think.")
    cots = [" Tokyo has 14 million people. Lyon has half a million. So the answer is (B).", " Hmm. Lyon."]
    contexts, cuts = [], []
    for cot in cots:
        ends = [i + 1 for i, ch in enumerate(cot) if ch == "."]
        ids, cs = cot_context(smol, prompt, cot, ends)
        assert cs == sorted(cs) and cs[-1] == len(ids) and len(cs) == len(ends) + 1
        contexts.append(ids)
        cuts.append(cs)
    kwargs = dict(cue="\nThe answer is (", letters="AB", layers=[3, 20], lens=True, progress=False)
    shared = forced_answers(smol, contexts, cuts, batch_size=2, rows_per_pass=3, **kwargs)
    naive = forced_answers_naive(smol, contexts, cuts, batch_size=3, **kwargs)
    for name in ("logprobs", "states", "lens"):
        for a, b in zip(getattr(shared, name), getattr(naive, name)):
            assert a.shape == b.shape
            assert torch.allclose(a, b, atol=1e-3), name
    for lp, lens in zip(shared.logprobs, shared.lens):  # the last layer's lens is the model's own answer
        assert torch.allclose(lp.log_softmax(-1), lens[:, -1], atol=1e-4)
