"""The vLLM backend: argument checks everywhere; parity with TransformerBridge where vLLM is installed.

The tests marked ``vllm`` need the extra (``make install-vllm``) and run with ``make test-vllm``;
``make test`` skips them. They boot one in-process engine on the default model (float32, CPU) and
compare every call with the TransformerBridge path on the same prompts.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

import probes
from hooks import BackendError, Span, extract_activations, forced_answers, generate, option_logprobs, steer
from hooks.tokens import encode
from hooks.vllm_engine import ServedConfig, VLLMModel
from probes import SteeringVector
from probes.constants import DEFAULT_MODEL

HAS_VLLM = importlib.util.find_spec("vllm") is not None and importlib.util.find_spec("vllm_lens") is not None
needs_vllm = pytest.mark.skipif(not HAS_VLLM, reason="the vLLM extra is not installed (make install-vllm)")
TOLERANCE = 1e-5
"""Relative max difference allowed between the engines' float32 activations (the issue's target)."""


def fake_served(n_layers: int = 4, d_model: int = 8) -> VLLMModel:
    """A VLLMModel without an engine: enough for the calls that refuse before running one."""
    model = object.__new__(VLLMModel)
    model.path = "fake"
    model.cfg = ServedConfig("fake", n_layers, d_model, 64, 100, torch.float32)
    model.hook_dict = {f"blocks.{i}.hook_resid_{s}": None for i in range(n_layers) for s in ("pre", "post")}
    model.pushes = []
    return model


def test_load_model_checks_the_backend_and_its_options():
    with pytest.raises(ValueError, match="backend must be one of"):
        probes.load_model(backend="onnx")
    with pytest.raises(ValueError, match="tensor_parallel_size"):
        probes.load_model(backend="vllm", device_map="auto")
    with pytest.raises(TypeError, match="backend='vllm' only"):
        probes.load_model(tensor_parallel_size=2)
    with pytest.raises(ValueError, match="not both"):
        probes.load_model(device="cpu", device_map="auto")


@pytest.mark.skipif(HAS_VLLM, reason="checks the message shown when the extra is missing")
def test_vllm_backend_without_the_extra_says_how_to_install_it():
    with pytest.raises(ImportError, match="make install-vllm"):
        probes.load_model(backend="vllm")


def test_steer_on_a_served_model_keeps_the_vectors_for_the_block_only():
    model = fake_served()
    post = SteeringVector(torch.ones(8), "blocks.2.hook_resid_post", "fake")
    pre = SteeringVector(torch.ones(8), "blocks.2.hook_resid_pre", "fake")
    with steer(model, [post, pre], [2.0, -1.0], positions="after_prompt"):
        assert [(p.layer, p.scale, p.positions) for p in model.pushes] == [
            (2, 2.0, "after_prompt"),
            (1, -1.0, "after_prompt"),  # resid_pre of block 2 is block 1's output
        ]
        with steer(model, post, 3.0):
            assert len(model.pushes) == 3
        assert len(model.pushes) == 2
    assert model.pushes == []


@pytest.mark.parametrize(
    "kwargs, hook",
    [
        ({"positions": 3}, "blocks.2.hook_resid_post"),
        ({}, "blocks.0.hook_resid_pre"),
        ({}, "blocks.2.hook_resid_mid"),
    ],
)
def test_steer_refuses_what_the_vllm_backend_cannot_do(kwargs, hook):
    model = fake_served()
    with pytest.raises(BackendError, match="backend='transformer_lens'"):
        with steer(model, SteeringVector(torch.ones(8), hook, "fake"), 1.0, **kwargs):
            pass
    assert model.pushes == []


def test_python_hook_calls_name_the_backend_that_runs_them():
    model = fake_served()
    for call in (model.hooks, model.run_with_cache, model):
        with pytest.raises(BackendError, match="backend='transformer_lens'"):
            call()
    with pytest.raises(BackendError, match="resid_post only"):
        extract_activations(model, [[1, 2, 3]], layers=[1], site="resid_pre", progress=False)


@pytest.mark.integration
def test_device_map_loads_the_same_model(smol):
    placed = probes.load_model(device_map="cpu")
    tokens = smol.to_tokens("The capital of France is")
    with torch.no_grad():
        assert torch.equal(placed(tokens), smol(tokens))
    with pytest.raises(ValueError, match="CUDA devices"):
        probes.load_model(n_devices=2)


# --- parity with TransformerBridge: needs the extra ------------------------------------------------

PROMPTS = [
    "Hi",
    "The capital of France is",
    "Water boils at a temperature of one hundred degrees Celsius at sea level, which is why",
    "Question: What is 7 times 8?\nAnswer:",
    "Once upon a time, in a small village by the sea, there lived an old fisherman who every morning",
]


@pytest.fixture(scope="module")
def served():
    if not HAS_VLLM:
        pytest.skip("the vLLM extra is not installed (make install-vllm)")
    return probes.load_model(backend="vllm", max_model_len=1024)


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


def mixed_prompts(n: int) -> list[str]:
    rng = np.random.default_rng(0)
    words = "the a of model probe truth lie answer river city seven because people think".split()
    return [" ".join(rng.choice(words, int(rng.integers(1, 60)))) for _ in range(n)]


@pytest.mark.vllm
@needs_vllm
def test_activations_match_transformer_bridge(served, smol):
    prompts = mixed_prompts(50)
    want = extract_activations(smol, prompts, layers=[0, 12, 29], progress=False)
    got = extract_activations(served, prompts, layers=[0, 12, 29], progress=False)
    assert got.shape == want.shape == (50, 3, 576)
    for j in range(3):
        assert relative(got[:, j], want[:, j]) <= TOLERANCE, j


@pytest.mark.vllm
@needs_vllm
def test_spans_and_shards_match_transformer_bridge(served, smol, tmp_path):
    span = Span(start=1, reduce=None)
    want = extract_activations(smol, PROMPTS, layers=[5], position=span, progress=False)
    got = extract_activations(served, PROMPTS, layers=[5], position=span, progress=False)
    assert torch.equal(got.lengths, want.lengths)
    assert relative(got.values, want.values) <= TOLERANCE
    store = extract_activations(served, PROMPTS, layers=[5], out_dir=tmp_path, shard_size=2, progress=False)
    last = extract_activations(smol, PROMPTS, layers=[5], progress=False)
    assert store.load().shape == last.shape and relative(store.load(), last) <= TOLERANCE


@pytest.mark.vllm
@needs_vllm
def test_steering_matches_transformer_bridge_at_the_steered_layer(served, smol):
    direction = torch.randn(576, generator=torch.Generator().manual_seed(0))
    vector = SteeringVector(direction, "blocks.6.hook_resid_post", str(smol.cfg.model_name))
    for multiplier in (0.0, 4.0):
        every = Span(start=0, reduce=None)  # every token of every prompt
        with steer(smol, vector, multiplier):
            want = extract_activations(smol, PROMPTS, layers=[6, 9], position=every, progress=False).values
        with steer(served, vector, multiplier):
            got = extract_activations(served, PROMPTS, layers=[6, 9], position=every, progress=False).values
        assert relative(got[:, 0], want[:, 0]) <= TOLERANCE, multiplier
        assert relative(got[:, 1], want[:, 1]) <= 1e-4, multiplier  # three blocks later


@pytest.mark.vllm
@needs_vllm
def test_steered_generation_at_zero_is_unsteered_and_a_push_changes_the_text(served):
    prompts = PROMPTS[1:4]
    direction = torch.randn(576, generator=torch.Generator().manual_seed(1))
    vector = SteeringVector(direction / direction.norm(), "blocks.10.hook_resid_post", DEFAULT_MODEL)
    plain = generate(served, prompts, max_new_tokens=16, progress=False)
    for positions in ("all", "after_prompt"):
        with steer(served, vector, 0.0, positions=positions):
            zero = generate(served, prompts, max_new_tokens=16, progress=False)
        with steer(served, vector, 40.0, positions=positions):
            pushed = generate(served, prompts, max_new_tokens=16, progress=False)
        assert [g.token_ids for g in zero] == [g.token_ids for g in plain]
        assert sum(p.token_ids != g.token_ids for p, g in zip(pushed, plain)) >= 2, positions


@pytest.mark.vllm
@needs_vllm
@pytest.mark.parametrize("positions", ["all", "after_prompt"])
def test_steered_generation_matches_transformer_bridge(served, smol, positions):
    prompts = ["The capital of France is", "Question: What is 7 times 8?\nAnswer:"]
    direction = torch.randn(576, generator=torch.Generator().manual_seed(1))
    vector = SteeringVector(
        direction / direction.norm(), "blocks.10.hook_resid_post", str(smol.cfg.model_name)
    )
    with steer(smol, vector, 40.0, positions=positions):
        want = generate(smol, prompts, max_new_tokens=12, progress=False)
    with steer(served, vector, 40.0, positions=positions):
        got = generate(served, prompts, max_new_tokens=12, progress=False)
    assert [g.token_ids for g in got] == [w.token_ids for w in want]


@pytest.mark.vllm
@needs_vllm
@pytest.mark.parametrize("mode", ["project", "project_then_add"])
def test_projection_modes_match_transformer_bridge(served, smol, mode):
    direction = torch.randn(576, generator=torch.Generator().manual_seed(2))
    vector = SteeringVector(direction, "blocks.8.hook_resid_post", str(smol.cfg.model_name))
    add = SteeringVector(direction.roll(1), "blocks.8.hook_resid_post", str(smol.cfg.model_name))
    multiplier = 1.0 if mode == "project" else 3.0
    every = Span(start=0, reduce=None)
    for model in (smol, served):  # an added vector first (outer block), then the projection: order matters
        with steer(model, add, 2.0), steer(model, vector, multiplier, mode=mode):
            found = extract_activations(model, PROMPTS, layers=[8, 11], position=every, progress=False).values
        if model is smol:
            want = found
    assert relative(found[:, 0], want[:, 0]) <= TOLERANCE
    assert relative(found[:, 1], want[:, 1]) <= 1e-4
    unit = direction / direction.norm()
    if mode == "project":  # nothing of the direction is left at the steered layer
        assert float((found[:, 0] @ unit).abs().max()) < 1e-3


@pytest.mark.vllm
@needs_vllm
def test_greedy_tokens_agree_where_the_top_two_logits_are_apart(served, smol):
    prompts = [probes.chat_prompt(smol, q) for q in ("What is the capital of Italy?", "Name a red fruit.")]
    prompts += PROMPTS[1:4]
    want = generate(smol, prompts, max_new_tokens=20, progress=False)
    got = generate(served, prompts, max_new_tokens=20, progress=False)
    compared = 0
    for w, g in zip(want, got):
        ids = encode(smol.tokenizer, [w.prompt]).ids[0] + list(w.token_ids)
        with torch.no_grad():
            logits = smol(torch.tensor([ids]))[0, -len(w.token_ids) - 1 : -1]
        top2 = logits.topk(2).values
        margin = (top2[:, 0] - top2[:, 1]).tolist()
        agree = next((k for k, m in enumerate(margin) if m < 1e-3), len(margin))  # up to a near tie
        assert list(g.token_ids[:agree]) == list(w.token_ids[:agree])
        compared += agree
    assert compared >= 50


@pytest.mark.vllm
@needs_vllm
def test_option_scores_and_forced_answers_match_transformer_bridge(served, smol):
    prompts = [
        probes.chat_prompt(smol, "Is the sky blue? Answer (A) yes or (B) no.", assistant_prefix="(")
    ] * 2
    options = [["A", "B"], [" yes", " no, it is green"]]
    want = option_logprobs(smol, prompts, options, progress=False)
    got = option_logprobs(served, prompts, options, progress=False)
    assert torch.allclose(got, want, atol=1e-4), (got, want)
    ids = smol.tokenizer(PROMPTS[4])["input_ids"]
    cuts = [[3, 8, len(ids)]]
    want = forced_answers(smol, [ids], cuts, layers=[4], lens=True, progress=False)
    got = forced_answers(served, [ids], cuts, layers=[4], lens=True, progress=False)
    assert torch.allclose(got.logprobs[0], want.logprobs[0], atol=1e-4)
    assert relative(got.states[0], want.states[0]) <= TOLERANCE
    assert got.lens[0].shape == want.lens[0].shape == (3, 30, 4)
    assert torch.allclose(got.lens[0], want.lens[0], atol=1e-4)


@pytest.mark.vllm
@needs_vllm
def test_the_readme_scale_out_code_runs_as_written(served, monkeypatch):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = text.index("## Scale-out")
    blocks = re.findall(r"```python\n(.*?)```", text[start : text.index("\n## ", start + 1)], flags=re.S)
    assert len(blocks) == 1
    monkeypatch.setattr(probes, "load_model", lambda **kwargs: served)  # one engine per test session
    namespace: dict = {}
    exec(compile(blocks[0], "README scale-out block", "exec"), namespace)
    assert namespace["acts"].shape == (1, 2, 576) and namespace["scores"].shape == (1, 2)
    assert namespace["texts"][0]


def test_readme_backend_numbers_are_the_ones_the_results_file_generates(monkeypatch):
    """The README's backends section equals what `benchmarks/backends.py --readme` writes."""
    import importlib
    import json
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    results = root / "benchmarks/results/backends/results.json"
    if not results.exists():
        pytest.skip("no committed backends benchmark yet (make bench-vllm)")
    monkeypatch.syspath_prepend(str(root / "benchmarks"))
    backends = importlib.import_module("backends")
    body = backends.readme_section(json.loads(results.read_text()), "benchmarks/results/backends")
    text = (root / "README.md").read_text()
    assert f"<!-- backends:begin -->\n{body}\n<!-- backends:end -->" in text, "stale: rerun --readme"
    sys.modules.pop("backends", None)


@pytest.mark.vllm
@needs_vllm
def test_an_eos_id_no_token_has_runs_generation_to_full_length(served):
    out = generate(served, ["Hi"], max_new_tokens=7, eos_token_id=-1, progress=False)
    assert len(out[0].token_ids) == 7 and not out[0].stopped
