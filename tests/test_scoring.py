"""hooks.scoring.option_logprobs against a direct computation, one sequence at a time."""

from __future__ import annotations

import pytest
import torch

from hooks import steer
from hooks.scoring import option_logprobs
from hooks.tokens import encode
from probes import SteeringVector

PROMPTS = ["Q: 2+2? A:", "Q: which is larger, 3 or 30? A: the larger is", "hi"]
OPTIONS = [[" 4", " 5"], [" 3", " thirty"], ["A", "B"]]


def direct(model, prompt, option):
    """log p(option | prompt) from one unpadded forward pass over prompt + option."""
    prompt_ids = encode(model.tokenizer, [prompt]).ids[0]
    answer = model.tokenizer(option, add_special_tokens=False)["input_ids"]
    tokens = torch.tensor([prompt_ids + answer])
    with torch.no_grad():
        logprobs = model(tokens).float().log_softmax(-1)[0]
    return sum(logprobs[len(prompt_ids) - 1 + t, a].item() for t, a in enumerate(answer))


@pytest.mark.parametrize("model_name", ["tiny", pytest.param("smol", marks=pytest.mark.integration)])
def test_matches_direct_computation(model_name, request):
    model = request.getfixturevalue(model_name)
    scores = option_logprobs(model, PROMPTS, OPTIONS, batch_size=2, progress=False)
    assert scores.shape == (3, 2)
    expected = torch.tensor([[direct(model, p, o) for o in opts] for p, opts in zip(PROMPTS, OPTIONS)])
    assert torch.allclose(scores, expected, atol=1e-4)
    assert (scores < 0).all()


def test_one_token_options_are_the_next_token_distribution(tiny):
    prompt = "The answer is ("
    scores = option_logprobs(tiny, [prompt], [["A", "B", "C"]], progress=False)
    ids = encode(tiny.tokenizer, [prompt]).ids[0]
    with torch.no_grad():
        next_token = tiny(torch.tensor([ids])).float().log_softmax(-1)[0, -1]
    letters = [tiny.tokenizer(c, add_special_tokens=False)["input_ids"][0] for c in "ABC"]
    assert torch.allclose(scores[0], next_token[letters], atol=1e-5)


def test_steering_changes_scores(tiny):
    vec = SteeringVector(torch.randn(tiny.cfg.d_model) * 5, "blocks.2.hook_resid_post", tiny.cfg.model_name)
    clean = option_logprobs(tiny, PROMPTS, OPTIONS, progress=False)
    with steer(tiny, vec):
        steered = option_logprobs(tiny, PROMPTS, OPTIONS, progress=False)
    assert not torch.allclose(clean, steered)


def test_bad_input(tiny):
    with pytest.raises(ValueError, match="one list per prompt"):
        option_logprobs(tiny, PROMPTS, OPTIONS[:2], progress=False)
    with pytest.raises(ValueError, match="at least two"):
        option_logprobs(tiny, ["x"], [["only"]], progress=False)
    with pytest.raises(ValueError, match="same number"):
        option_logprobs(tiny, ["x", "y"], [["a", "b"], ["a", "b", "c"]], progress=False)
    with pytest.raises(ValueError, match="empty"):
        option_logprobs(tiny, ["x"], [["a", ""]], progress=False)
