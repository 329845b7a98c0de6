"""Bad inputs and faults for steering: each ends in a clear error or a result known to be right.

Mechanics run on the tiny random model (no KV cache: generation reruns the whole sequence, so
``use_cache=False``); cases that need a KV cache or real text use SmolLM2 and are marked
``integration``. Expected results are built by hand: the steered residual is the clean one plus
``multiplier * direction`` at exactly the positions that should be steered.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from catalogue_checks import clear_error

from hooks import steer
from hooks.generation import generate
from hooks.scoring import option_logprobs
from probes import SteeringVector
from probes.dose import dose_response

HOOK = "blocks.1.hook_resid_post"


def vec(model, hook=HOOK, seed=0, scale=1.0, name=None, d=None):
    generator = torch.Generator().manual_seed(seed)
    direction = torch.randn(d or model.cfg.d_model, generator=generator) * scale
    return SteeringVector(direction, hook, name or str(model.cfg.model_name))


def resid(model, tokens, hook=HOOK, call=None):
    """The activation at `hook` as a later hook sees it (after any steering hook), and the logits."""
    seen = {}

    def keep(act, hook):
        seen["act"] = act.detach().clone()

    with model.hooks(fwd_hooks=[(hook, keep)]):
        logits = (call or model)(tokens)
    return seen["act"], logits


def unhooked(model) -> bool:
    """No hook left on any hook point and no forward (pre-)hook on the model itself."""
    points = all(not point.fwd_hooks for point in model.hook_dict.values())
    return points and not model._forward_pre_hooks and not model._forward_hooks


# --------------------------------------------------------------------------- bad arguments to steer

# (id, build the steer arguments from the model, words the error must contain)
STEER_ERRORS = [
    ("vector-d_model-too-small", lambda m: {"vectors": vec(m, d=7)}, ["d_model 7", "has 32"]),
    ("vector-d_model-too-large", lambda m: {"vectors": vec(m, d=64)}, ["d_model 64", "has 32"]),
    (
        "hook-does-not-exist",
        lambda m: {"vectors": vec(m, "blocks.1.hook_nonsense")},
        ["resid_post", "nonsense"],
    ),
    (
        "hook-not-residual",
        lambda m: {"vectors": vec(m, "blocks.1.hook_attn_in")},
        ["residual", "hook_attn_in"],
    ),
    ("hook-alias-not-a-site", lambda m: {"vectors": vec(m, "blocks.1.hook_out")}, ["resid_post", "hook_out"]),
    ("layer-just-past-end", lambda m: {"vectors": vec(m, "blocks.4.hook_resid_post")}, ["beyond", "0..3"]),
    (
        "layer-far-past-end",
        lambda m: {"vectors": vec(m, "blocks.99.hook_resid_post")},
        ["beyond", "4 layers"],
    ),
    ("vector-of-other-model", lambda m: {"vectors": vec(m, name="gpt2")}, ["gpt2", "check_model=False"]),
    ("bare-tensor", lambda m: {"vectors": torch.ones(32)}, ["SteeringVector", "tensor", "wrap"]),
    ("bare-array", lambda m: {"vectors": np.ones(32)}, ["SteeringVector", "ndarray"]),
    ("dict-of-vectors", lambda m: {"vectors": {1: vec(m)}}, ["SteeringVector", "dict"]),
    ("hook-name-string", lambda m: {"vectors": HOOK}, ["SteeringVector", "str"]),
    ("vectors-none", lambda m: {"vectors": None}, ["SteeringVector", "NoneType"]),
    ("tensor-in-list", lambda m: {"vectors": [vec(m), torch.ones(32)]}, ["SteeringVector", "Tensor"]),
    ("empty-list", lambda m: {"vectors": []}, ["no steering vectors", "non-empty"]),
    ("empty-tuple", lambda m: {"vectors": ()}, ["no steering vectors"]),
    (
        "multiplier-nan",
        lambda m: {"vectors": vec(m), "multiplier": float("nan")},
        ["multiplier", "finite", "nan"],
    ),
    (
        "multiplier-inf",
        lambda m: {"vectors": vec(m), "multiplier": float("inf")},
        ["multiplier", "finite", "inf"],
    ),
    ("multiplier-minus-inf", lambda m: {"vectors": vec(m), "multiplier": -np.inf}, ["finite", "-inf"]),
    ("multiplier-numpy-nan", lambda m: {"vectors": vec(m), "multiplier": np.float32("nan")}, ["finite"]),
    (
        "multiplier-0d-tensor-nan",
        lambda m: {"vectors": vec(m), "multiplier": torch.tensor(float("nan"))},
        ["finite"],
    ),
    (
        "multiplier-nan-in-list",
        lambda m: {"vectors": [vec(m)], "multiplier": [float("nan")]},
        ["each", "finite"],
    ),
    (
        "multiplier-string",
        lambda m: {"vectors": vec(m), "multiplier": "2"},
        ["multiplier", "real number", "str"],
    ),
    ("multiplier-none", lambda m: {"vectors": vec(m), "multiplier": None}, ["multiplier", "NoneType"]),
    ("multiplier-bool", lambda m: {"vectors": vec(m), "multiplier": True}, ["multiplier", "bool"]),
    ("multiplier-complex", lambda m: {"vectors": vec(m), "multiplier": 1j}, ["real number", "complex"]),
    (
        "multiplier-complex-tensor",
        lambda m: {"vectors": vec(m), "multiplier": torch.tensor(1j)},
        ["real number"],
    ),
    ("multiplier-bool-tensor", lambda m: {"vectors": vec(m), "multiplier": torch.tensor(True)}, ["bool"]),
    (
        "multiplier-2d-array",
        lambda m: {"vectors": vec(m), "multiplier": np.ones((1, 1))},
        ["real number", "ndarray"],
    ),
    (
        "multipliers-too-few",
        lambda m: {"vectors": [vec(m), vec(m)], "multiplier": [1.0]},
        ["1 multipliers", "2 vectors"],
    ),
    (
        "multipliers-too-many",
        lambda m: {"vectors": vec(m), "multiplier": [1.0, 2.0]},
        ["2 multipliers", "1 vectors"],
    ),
    (
        "multipliers-tensor-too-many",
        lambda m: {"vectors": vec(m), "multiplier": torch.ones(3)},
        ["3 multipliers"],
    ),
    (
        "multipliers-string-inside",
        lambda m: {"vectors": [vec(m)], "multiplier": ["1"]},
        ["each multiplier", "str"],
    ),
    ("mode-unknown", lambda m: {"vectors": vec(m), "mode": "steer"}, ["mode", "project_then_add", "'steer'"]),
    ("mode-wrong-case", lambda m: {"vectors": vec(m), "mode": "ADD"}, ["mode", "'ADD'"]),
    ("mode-none", lambda m: {"vectors": vec(m), "mode": None}, ["mode", "None"]),
    (
        "project-with-multiplier",
        lambda m: {"vectors": vec(m), "multiplier": 2.0, "mode": "project"},
        ["project_then_add"],
    ),
    ("project-zero-vector", lambda m: {"vectors": vec(m, scale=0.0), "mode": "project"}, ["zero", "project"]),
    (
        "project-add-zero-vector",
        lambda m: {"vectors": vec(m, scale=0.0), "mode": "project_then_add"},
        ["zero"],
    ),
    (
        "positions-unknown-string",
        lambda m: {"vectors": vec(m), "positions": "later"},
        ["positions", "after_prompt", "later"],
    ),
    ("positions-empty-string", lambda m: {"vectors": vec(m), "positions": ""}, ["positions", "'all'"]),
    ("positions-wrong-case", lambda m: {"vectors": vec(m), "positions": "ALL"}, ["positions", "'ALL'"]),
    ("positions-negative", lambda m: {"vectors": vec(m), "positions": -1}, ["positions", ">= 0", "-1"]),
    ("positions-float", lambda m: {"vectors": vec(m), "positions": 2.5}, ["positions", "float"]),
    ("positions-bool", lambda m: {"vectors": vec(m), "positions": True}, ["positions", "bool"]),
    ("positions-none", lambda m: {"vectors": vec(m), "positions": None}, ["positions", "NoneType"]),
    ("positions-list", lambda m: {"vectors": vec(m), "positions": [1, 2]}, ["positions", "list", "tensor"]),
    ("positions-float-tensor", lambda m: {"vectors": vec(m), "positions": torch.tensor([1.0])}, ["float32"]),
    ("positions-bool-tensor", lambda m: {"vectors": vec(m), "positions": torch.tensor([True])}, ["bool"]),
    (
        "positions-2d-tensor",
        lambda m: {"vectors": vec(m), "positions": torch.zeros(1, 1, dtype=torch.long)},
        ["1, 1"],
    ),
    (
        "positions-negative-tensor",
        lambda m: {"vectors": vec(m), "positions": torch.tensor([2, -1])},
        [">= 0", "-1"],
    ),
]


@pytest.mark.parametrize("build, words", [pytest.param(b, w, id=i) for i, b, w in STEER_ERRORS])
def test_steer_refuses(tiny, build, words):
    with clear_error(*words):
        with steer(tiny, **build(tiny)):
            tiny(tiny.to_tokens("hello"))
    assert unhooked(tiny)


def test_positions_tensor_of_wrong_batch_fails_in_the_pass_and_unhooks(tiny):
    tokens = tiny.to_tokens("hello")
    with clear_error("2 first positions", "1 rows", "one per row"):
        with steer(tiny, vec(tiny), positions=torch.tensor([1, 2])):
            tiny(tokens)
    assert unhooked(tiny)


def test_a_bad_vector_after_a_good_one_adds_no_hook(tiny):
    with clear_error("d_model 7"):
        with steer(tiny, [vec(tiny), vec(tiny, d=7)]):
            pass
    assert unhooked(tiny)


# --------------------------------------------------------------------------- numbers that must be accepted

NUMBERS = [
    ("numpy-float32", np.float32(2.0)),
    ("numpy-float64", np.float64(2.0)),
    ("numpy-int64", np.int64(2)),
    ("python-int", 2),
    ("tensor-0d-float", torch.tensor(2.0)),
    ("tensor-0d-int", torch.tensor(2)),
    ("tensor-0d-requires-grad", torch.tensor(2.0, requires_grad=True)),
    ("tensor-0d-float64", torch.tensor(2.0, dtype=torch.float64)),
    ("array-0d", np.array(2.0)),
    ("one-element-list", [2.0]),
    ("one-element-tensor", torch.tensor([2.0])),
]


@pytest.mark.parametrize("multiplier", [pytest.param(v, id=i) for i, v in NUMBERS])
def test_number_like_multipliers_are_the_number(tiny, multiplier):
    v, tokens = vec(tiny), tiny.to_tokens("hello steering")
    clean, _ = resid(tiny, tokens)
    with steer(tiny, v, multiplier):
        steered, _ = resid(tiny, tokens)
    assert torch.equal(steered, clean + 2.0 * v.direction)


@pytest.mark.parametrize(
    "multipliers",
    [
        pytest.param([2.0, -1.0], id="list"),
        pytest.param((2, -1), id="tuple-of-ints"),
        pytest.param(torch.tensor([2.0, -1.0]), id="1d-tensor"),
        pytest.param(np.array([2.0, -1.0], dtype=np.float32), id="1d-array"),
        pytest.param([np.float32(2.0), torch.tensor(-1.0)], id="mixed-scalars"),
    ],
)
def test_one_multiplier_per_vector(tiny, multipliers):
    a, b = vec(tiny, seed=1), vec(tiny, "blocks.2.hook_resid_post", seed=2)
    tokens = tiny.to_tokens("hello")
    with steer(tiny, [a, b], [2.0, -1.0]):
        _, expected = resid(tiny, tokens)
    with steer(tiny, [a, b], multipliers):
        _, got = resid(tiny, tokens)
    assert torch.equal(got, expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64, torch.bfloat16])
def test_vector_of_another_dtype_is_stored_float32_and_added_exactly(tiny, dtype):
    direction = torch.randn(tiny.cfg.d_model, generator=torch.Generator().manual_seed(3)).to(dtype)
    v = SteeringVector(direction, HOOK, str(tiny.cfg.model_name))
    assert v.direction.dtype == torch.float32 and v.direction.device.type == "cpu"
    tokens = tiny.to_tokens("hello")
    clean, _ = resid(tiny, tokens)
    with steer(tiny, v, 3.0):
        steered, _ = resid(tiny, tokens)
    assert torch.equal(steered, clean + 3.0 * direction.float())


def test_numpy_int_first_position(tiny):
    v, tokens = vec(tiny), tiny.to_tokens("hello steering")
    with steer(tiny, v, positions=3):
        expected, _ = resid(tiny, tokens)
    with steer(tiny, v, positions=np.int64(3)):
        got, _ = resid(tiny, tokens)
    assert torch.equal(got, expected)


# --------------------------------------------------------------------------- combinations and hygiene


def test_two_vectors_on_the_same_hook_add_up(tiny):
    a, b = vec(tiny, seed=1), vec(tiny, seed=2)
    tokens = tiny.to_tokens("hello")
    clean, _ = resid(tiny, tokens)
    with steer(tiny, [a, b], [2.0, -3.0]):
        both, _ = resid(tiny, tokens)
    assert torch.allclose(both, clean + 2.0 * a.direction - 3.0 * b.direction, atol=1e-5)


def test_two_vectors_on_the_same_hook_apply_in_order(tiny):
    a, b = vec(tiny, seed=1), vec(tiny, seed=2)
    tokens = tiny.to_tokens("hello")
    clean, _ = resid(tiny, tokens)
    with steer(tiny, [a, b], [1.0, 2.0], mode="project_then_add"):
        got, _ = resid(tiny, tokens)
    expected = clean
    for v, m in ((a, 1.0), (b, 2.0)):
        unit = v.direction / v.direction.norm()
        expected = expected - (expected @ unit)[..., None] * unit + m * v.direction
    assert torch.allclose(got, expected, atol=1e-4)


def test_nested_blocks_stack_and_unwind(tiny):
    a, b = vec(tiny, seed=1), vec(tiny, seed=2)
    tokens = tiny.to_tokens("hello")
    grown = torch.cat([tokens, tokens[:, :1]], 1)
    clean, _ = resid(tiny, tokens)
    clean_grown, _ = resid(tiny, grown)
    with steer(tiny, a, 2.0, positions="after_prompt"):
        with steer(tiny, b, -1.0, positions=2):
            inner, _ = resid(tiny, tokens)  # the outer block's prompt: only the inner vector acts
        outer, _ = resid(tiny, tokens)  # a new prompt: unsteered
        step, _ = resid(tiny, grown)  # an uncached decoding step: the outer vector on the new token
    assert torch.equal(inner[:, :2], clean[:, :2])
    assert torch.allclose(inner[:, 2:], clean[:, 2:] - b.direction, atol=1e-6)
    assert torch.equal(outer, clean)
    assert torch.equal(step[:, :-1], clean_grown[:, :-1])
    assert torch.allclose(step[:, -1], clean_grown[:, -1] + 2.0 * a.direction, atol=1e-6)
    assert unhooked(tiny)


@pytest.mark.parametrize("positions", ["all", "after_prompt", 2, torch.tensor([1])])
def test_exception_inside_the_block_removes_every_hook(tiny, positions):
    tokens = tiny.to_tokens("hello")
    clean = tiny(tokens)
    with pytest.raises(KeyError, match="boom"):
        with steer(tiny, vec(tiny, scale=5.0), positions=positions):
            tiny(tokens)
            raise KeyError("boom")
    assert unhooked(tiny)
    assert torch.equal(tiny(tokens), clean)


def test_user_hooks_survive_a_failing_block(tiny):
    calls = []
    tiny.add_hook(HOOK, lambda act, hook: calls.append(1))
    try:
        with pytest.raises(RuntimeError):
            with steer(tiny, vec(tiny), positions="after_prompt"):
                raise RuntimeError("inside")
        tiny(tiny.to_tokens("hi"))
        assert calls == [1]
        assert not tiny._forward_pre_hooks
    finally:
        tiny.reset_hooks()


# --------------------------------------------------------------------------- positions per generation


def test_a_fresh_one_token_pass_is_a_new_prompt(tiny):
    """Not a KV-cache step: a one-token pass without a cache after another pass is a prompt of its own."""
    v = vec(tiny, scale=3.0)
    first, single = tiny.to_tokens("hello"), tiny.to_tokens("x")
    clean, _ = resid(tiny, single)
    with steer(tiny, v, positions="after_prompt"):
        resid(tiny, first)
        got, _ = resid(tiny, single)
    assert torch.equal(got, clean)


def test_a_longer_fresh_pass_is_a_new_prompt(tiny):
    """The old count leaked the first pass's length: a longer second prompt was steered past it."""
    v = vec(tiny, scale=3.0)
    short, long = tiny.to_tokens("hi"), tiny.to_tokens("hello steering")
    clean, _ = resid(tiny, long)
    with steer(tiny, v, positions="after_prompt"):
        resid(tiny, short)
        got, _ = resid(tiny, long)
    assert torch.equal(got, clean)


def test_a_pass_that_skips_the_pre_hook_is_a_new_prompt(tiny):
    """model.forward called directly announces nothing: it is taken as a new prompt, not a step."""
    v = vec(tiny, scale=3.0)
    tokens = tiny.to_tokens("hello")
    longer = torch.cat([tokens, tokens[:, :1]], 1)
    clean, _ = resid(tiny, longer)
    with steer(tiny, v, positions="after_prompt"):
        resid(tiny, tokens)
        got, _ = resid(tiny, longer, call=tiny.forward)
    assert torch.equal(got, clean)


def test_uncached_decoding_steps_continue_the_generation(tiny):
    v = vec(tiny, scale=3.0)
    tokens = tiny.to_tokens("hello")
    n = tokens.shape[1]
    grown = [torch.cat([tokens, tokens[:, : k + 1]], 1) for k in range(3)]
    with steer(tiny, v, positions="after_prompt"):
        resid(tiny, tokens)
        steps = [resid(tiny, g)[0] for g in grown]
    for g, step in zip(grown, steps):
        clean, _ = resid(tiny, g)
        with steer(tiny, v, positions=n):  # the same steering written as a first position
            expected, _ = resid(tiny, g)
        assert torch.equal(step[:, :n], clean[:, :n])
        assert torch.equal(step, expected)


PROMPTS = ["The capital of France is", "Hi", "Once upon a time, there"]


def steered_tokens(model, prompts, v, *, batch_size, use_cache, positions="after_prompt", n=6):
    with steer(model, v, positions=positions):
        outs = generate(
            model, prompts, max_new_tokens=n, batch_size=batch_size, use_cache=use_cache, progress=False
        )
    return {o.prompt: o.token_ids for o in outs}


@pytest.mark.parametrize(
    "prompts, batch_size",
    [
        pytest.param(PROMPTS, 1, id="one-per-batch"),
        pytest.param(PROMPTS[::-1], 1, id="one-per-batch-reversed"),
        pytest.param(PROMPTS, 2, id="two-per-batch"),
        pytest.param(PROMPTS, 3, id="all-in-one-batch"),
    ],
)
def test_tiny_generation_does_not_depend_on_batching(tiny, prompts, batch_size):
    v = vec(tiny, scale=4.0)
    got = steered_tokens(tiny, prompts, v, batch_size=batch_size, use_cache=False)
    for prompt in PROMPTS:
        alone = steered_tokens(tiny, [prompt], v, batch_size=1, use_cache=False)
        assert got[prompt] == alone[prompt], prompt
    plain = generate(tiny, PROMPTS[:1], max_new_tokens=6, use_cache=False, progress=False)[0].token_ids
    assert got[PROMPTS[0]] != plain  # the steering did act on the new tokens


def test_option_scoring_under_after_prompt_does_not_depend_on_batch_size(tiny):
    """Scoring reads prompt positions only: "after_prompt" leaves every batch unsteered, in any order."""
    prompts = ["2+2=", "The sum of three and three is ", "1+1 ="]
    options = [[" 4", " 5"], [" 6", " 7"], [" 2", " 3"]]
    clean = option_logprobs(tiny, prompts, options, progress=False)
    for batch_size in (1, 2, 16):
        with steer(tiny, vec(tiny, scale=5.0), positions="after_prompt"):
            got = option_logprobs(tiny, prompts, options, batch_size=batch_size, progress=False)
        assert torch.allclose(got, clean, atol=1e-5), batch_size


# --------------------------------------------------------------------------- SteeringVector values

VECTOR_ERRORS = [
    ("scale-nan", lambda v: v * float("nan"), ValueError, ["scale", "finite"]),
    ("scale-inf", lambda v: v * float("inf"), ValueError, ["scale", "finite"]),
    ("scale-string", lambda v: v * "2", TypeError, ["scale", "real number", "str"]),
    ("string-times-vector", lambda v: "2" * v, TypeError, ["scale", "str"]),
    ("scale-bool", lambda v: True * v, TypeError, ["scale", "bool"]),
    ("scale-vector", lambda v: v * v, TypeError, ["scale", "SteeringVector"]),
    ("scale-1d-tensor", lambda v: v * torch.tensor([1.0, 2.0]), TypeError, ["scale", "real number"]),
    ("divide-by-zero", lambda v: v / 0, ValueError, ["divide", "0"]),
    ("divide-by-nan", lambda v: v / float("nan"), ValueError, ["divisor", "finite"]),
    ("overflow-to-inf", lambda v: v * 1e39, ValueError, ["finite", "inf", "overflow"]),
    (
        "add-other-hook",
        lambda v: v + SteeringVector(v.direction, "blocks.2.hook_resid_post", v.model_name),
        ValueError,
        ["blocks.2"],
    ),
    (
        "add-other-model",
        lambda v: v + SteeringVector(v.direction, v.hook, "gpt2"),
        ValueError,
        ["gpt2", "combine"],
    ),
    (
        "direction-nan",
        lambda v: SteeringVector(torch.tensor([1.0, float("nan")]), HOOK, "m"),
        ValueError,
        ["finite", "1 NaN"],
    ),
    (
        "direction-empty",
        lambda v: SteeringVector(torch.zeros(0), HOOK, "m"),
        ValueError,
        ["non-empty", r"\(0,\)"],
    ),
    (
        "direction-meta",
        lambda v: SteeringVector(torch.empty(4, device="meta"), HOOK, "m"),
        ValueError,
        ["meta"],
    ),
    (
        "hook-without-layer",
        lambda v: SteeringVector(torch.ones(3), "resid_post", "m"),
        ValueError,
        ["blocks.<layer>"],
    ),
]


@pytest.mark.parametrize("make, kind, words", [pytest.param(f, k, w, id=i) for i, f, k, w in VECTOR_ERRORS])
def test_vector_values_refused(tiny, make, kind, words):
    with clear_error(*words, kind=kind):
        make(vec(tiny))


SCALARS = [pytest.param(v, id=i) for i, v in NUMBERS if not i.startswith("one-element")]


@pytest.mark.parametrize("scale", SCALARS)
def test_vector_scaled_by_number_like(tiny, scale):
    v = vec(tiny)
    assert torch.equal((v * scale).direction, 2.0 * v.direction)
    assert torch.equal((scale * v).direction, 2.0 * v.direction)
    assert torch.equal((v / scale).direction, v.direction * 0.5)


# --------------------------------------------------------------------------- dose_response arguments

DOSE_ERRORS = [
    ("after-prompt", {"positions": "after_prompt"}, ["after_prompt", "nothing", "'all'"]),
    ("int-position", {"positions": 3}, ["positions", "padded", "'all'"]),
    ("unknown-mode", {"mode": "steer"}, ["mode", "'steer'"]),
    ("nan-multiplier", {"multipliers": [0, float("nan")]}, ["multiplier", "finite"]),
    ("string-multiplier", {"multipliers": [0, "4"]}, ["multiplier", "str"]),
    ("bare-multiplier", {"multipliers": 4}, ["multipliers", "list", "int"]),
    ("no-multipliers", {"multipliers": []}, ["no multipliers"]),
    (
        "vector-not-in-mapping",
        {"vectors": "single"},
        ["vectors", r"\{layer: SteeringVector\}", "SteeringVector"],
    ),
    ("tensor-in-mapping", {"vectors": "tensor"}, ["vectors\\[1\\]", "Tensor"]),
    ("vector-too-wide", {"vectors": "wide"}, ["d_model 7"]),
]


@pytest.mark.parametrize("change, words", [pytest.param(c, w, id=i) for i, c, w in DOSE_ERRORS])
def test_dose_response_refuses_before_scoring(tiny, change, words):
    from probes.datasets.choices import ChoiceItem, ChoiceSet

    item = ChoiceItem(
        id="0/baseline", group=0, task="sums", condition="baseline", turns=("2+2?",),
        assistant_prefix="It is", options=(" 4", " 5"), correct=0, suggested=None,
    )  # fmt: skip
    good = vec(tiny)
    vectors = {
        "single": good,
        "tensor": {1: torch.ones(32)},
        "wide": {1: vec(tiny, d=7)},
    }
    kwargs = {"multipliers": [0, 2], "vectors": {1: good}, **change}
    if isinstance(kwargs["vectors"], str):
        kwargs["vectors"] = vectors[kwargs["vectors"]]
    with clear_error(*words):
        dose_response(
            tiny, sets={"toy": ChoiceSet(name="toy", items=[item])}, n_boot=10, progress=False, **kwargs
        )
    assert unhooked(tiny)


# --------------------------------------------------------------------------- the real model: KV cache, text


@pytest.mark.integration
@pytest.mark.parametrize("positions", ["after_prompt", "all", 4])
def test_cached_and_uncached_steered_generation_agree(smol, positions):
    v = vec(smol, "blocks.10.hook_resid_post", scale=8.0)
    cached = steered_tokens(smol, PROMPTS, v, batch_size=2, use_cache=True, positions=positions, n=8)
    uncached = steered_tokens(smol, PROMPTS, v, batch_size=2, use_cache=False, positions=positions, n=8)
    assert cached == uncached


@pytest.mark.integration
def test_smol_steered_text_does_not_depend_on_batch_order(smol):
    v = vec(smol, "blocks.10.hook_resid_post", scale=8.0)
    alone = {p: steered_tokens(smol, [p], v, batch_size=1, use_cache=True, n=8)[p] for p in PROMPTS}
    for prompts, batch_size in ((PROMPTS, 1), (PROMPTS[::-1], 1), (PROMPTS, 3)):
        assert steered_tokens(smol, prompts, v, batch_size=batch_size, use_cache=True, n=8) == alone
    plain = generate(smol, PROMPTS[:1], max_new_tokens=8, progress=False)[0].token_ids
    assert alone[PROMPTS[0]] != plain  # the vector is strong enough to change the text


@pytest.mark.integration
def test_smol_cached_one_token_steps_steer_only_new_tokens(smol):
    """A prompt pass, then one-token passes given the cache: the prompt is clean, each new token steered."""
    v = vec(smol, "blocks.10.hook_resid_post", scale=8.0)
    hook = v.hook
    tokens = smol.to_tokens("The capital of France is")
    extra = smol.to_tokens(" Paris and", prepend_bos=False)
    full = torch.cat([tokens, extra], 1)
    n = tokens.shape[1]
    with steer(smol, v, positions=n):
        expected, _ = resid(smol, full, hook)
    seen = []
    with steer(smol, v, positions="after_prompt"):
        with smol.hooks(fwd_hooks=[(hook, lambda act, hook: seen.append(act.detach().clone()))]):
            _, cache = smol(tokens, return_type="logits_and_cache")
            for t in range(extra.shape[1]):
                _, cache = smol(extra[:, t : t + 1], past_key_values=cache, return_type="logits_and_cache")
    rows = torch.cat(seen, dim=1)
    assert rows.shape == expected.shape
    assert torch.allclose(rows, expected, atol=1e-3 * expected.abs().max())
