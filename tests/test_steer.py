"""hooks.steer: exact arithmetic, positions, KV-cache generation, and hook hygiene."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import torch

from hooks import steer
from probes import SteeringVector

HOOK = "blocks.1.hook_resid_post"


def vector(model, hook=HOOK, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return SteeringVector(torch.randn(model.cfg.d_model, generator=generator), hook, model.cfg.model_name)


def tokens_of(model, text="hello steering"):
    return model.to_tokens(text)


def resid(model, tokens, hook=HOOK):
    """The activation at `hook` as the next hook in line sees it (after any steering hook)."""
    seen = {}

    def keep(act, hook):
        seen["act"] = act.detach().clone()

    with model.hooks(fwd_hooks=[(hook, keep)]):
        logits = model(tokens)
    return seen["act"], logits


@pytest.mark.parametrize("multiplier", [4.0, -2.5])
def test_add_is_exact(tiny, multiplier):
    vec, tokens = vector(tiny), tokens_of(tiny)
    clean, clean_logits = resid(tiny, tokens)
    with steer(tiny, vec, multiplier):
        steered, logits = resid(tiny, tokens)
    assert torch.equal(steered, clean + multiplier * vec.direction)
    assert not torch.allclose(logits, clean_logits)
    with steer(tiny, multiplier * vec):  # the scaled vector is the same intervention
        again, _ = resid(tiny, tokens)
    assert torch.equal(again, steered)


def test_project_removes_the_direction(tiny):
    vec, tokens = vector(tiny), tokens_of(tiny)
    unit = vec.direction / vec.direction.norm()
    clean, _ = resid(tiny, tokens)
    with steer(tiny, vec, mode="project"):
        projected, _ = resid(tiny, tokens)
    assert (projected @ unit).abs().max() < 1e-5
    assert torch.allclose(projected, clean - (clean @ unit)[..., None] * unit, atol=1e-6)
    with steer(tiny, vec, 3.0, mode="project_then_add"):
        set_to, _ = resid(tiny, tokens)
    component = set_to @ unit
    assert torch.allclose(component, torch.full_like(component, 3.0 * vec.direction.norm()), atol=1e-4)
    with pytest.raises(ValueError, match="project_then_add"):
        with steer(tiny, vec, 2.0, mode="project"):
            pass


def test_positions_int_tensor_and_after_prompt(tiny):
    vec, tokens = vector(tiny), tokens_of(tiny)
    clean, _ = resid(tiny, tokens)
    with steer(tiny, vec, 2.0, positions=5):
        steered, _ = resid(tiny, tokens)
    assert torch.equal(steered[:, :5], clean[:, :5])
    assert torch.equal(steered[:, 5:], clean[:, 5:] + 2.0 * vec.direction)

    batch = torch.cat([tokens, tokens])
    clean2, _ = resid(tiny, batch)
    with steer(tiny, vec, 2.0, positions=torch.tensor([3, 7])):
        per_row, _ = resid(tiny, batch)
    assert torch.equal(per_row[0, 3:], clean2[0, 3:] + 2.0 * vec.direction)
    assert torch.equal(per_row[1, :7], clean2[1, :7])
    assert torch.equal(per_row[1, 7:], clean2[1, 7:] + 2.0 * vec.direction)

    with steer(tiny, vec, 2.0, positions="after_prompt"):
        first, _ = resid(tiny, tokens)  # the prompt: untouched
        longer = torch.cat([tokens, tokens[:, -1:]], dim=1)
        second, _ = resid(tiny, longer)  # an uncached decoding step (one more token): only the new one
    n = tokens.shape[1]
    clean_longer, _ = resid(tiny, longer)
    assert torch.equal(first, clean)
    assert torch.equal(second[:, :n], clean_longer[:, :n])
    assert torch.equal(second[:, n:], clean_longer[:, n:] + 2.0 * vec.direction)


def test_several_vectors_and_multipliers(tiny):
    a, b = vector(tiny, seed=1), vector(tiny, "blocks.2.hook_resid_post", seed=2)
    c = vector(tiny, seed=3)
    tokens = tokens_of(tiny)
    with steer(tiny, [a, c], [1.0, -3.0]):
        both, _ = resid(tiny, tokens)
    clean, _ = resid(tiny, tokens)
    assert torch.allclose(both, clean + a.direction - 3.0 * c.direction, atol=1e-6)
    with steer(tiny, [a, b], 2.0):
        _, logits = resid(tiny, tokens)
    with steer(tiny, a, 2.0), steer(tiny, b, 2.0):
        _, nested = resid(tiny, tokens)
    assert torch.equal(logits, nested)
    with pytest.raises(ValueError, match="multipliers"):
        with steer(tiny, [a, b], [1.0]):
            pass


def test_hooks_removed_after_block_and_after_exception_user_hooks_kept(tiny):
    vec, tokens = vector(tiny), tokens_of(tiny)
    clean_logits = tiny(tokens)
    calls = []
    tiny.add_hook(HOOK, lambda act, hook: calls.append(1))
    try:
        with steer(tiny, vec, 5.0):
            pass
        assert torch.equal(tiny(tokens), clean_logits)
        with pytest.raises(RuntimeError, match="boom"):
            with steer(tiny, vec, 5.0):
                assert not torch.equal(tiny(tokens), clean_logits)
                raise RuntimeError("boom")
        calls.clear()
        assert torch.equal(tiny(tokens), clean_logits)
        assert calls == [1]  # the user's hook survived both blocks
    finally:
        tiny.reset_hooks()


def test_bad_vectors_are_refused(tiny):
    wrong_width = SteeringVector(torch.ones(7), HOOK, tiny.cfg.model_name)
    other_model = SteeringVector(torch.ones(tiny.cfg.d_model), HOOK, "another-model")
    too_deep = SteeringVector(torch.ones(tiny.cfg.d_model), "blocks.9.hook_resid_post", tiny.cfg.model_name)
    for bad, message in [(wrong_width, "d_model"), (other_model, "check_model"), (too_deep, "beyond")]:
        with pytest.raises(ValueError, match=message):
            with steer(tiny, bad):
                pass
    with steer(tiny, other_model, check_model=False):
        tiny(tokens_of(tiny))
    with pytest.raises(ValueError, match="positions"):
        with steer(tiny, vector(tiny), positions="later"):
            pass


def generated_resids(model, prompt, max_new_tokens, **steer_kwargs):
    """Tokens from greedy generation and the resid_post rows that each decoding pass saw."""
    seen = []

    def keep(act, hook):
        seen.append(act.detach().clone())

    with steer(model, **steer_kwargs) if steer_kwargs else nullcontext():
        with model.hooks(fwd_hooks=[(HOOK, keep)]):
            out = model.generate(
                prompt,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                stop_at_eos=False,
                verbose=False,
                return_type="tokens",
            )
    return out, seen


@pytest.mark.parametrize("model_name", ["tiny", pytest.param("smol", marks=pytest.mark.integration)])
def test_generation_steers_new_tokens(model_name, request):
    """Inside generate (KV cache on SmolLM2; full re-runs on the tiny model) new tokens are steered."""
    model = request.getfixturevalue(model_name)
    vec = vector(model) * (20.0 if model_name == "smol" else 3.0)
    prompt = "The capital of France is"
    n_prompt = model.to_tokens(prompt).shape[1]
    clean_out, _ = generated_resids(model, prompt, 6)
    out, seen = generated_resids(model, prompt, 6, vectors=vec, positions="after_prompt")
    # Recompute the activations of the steered output in one pass with the same steering from
    # the prompt end on: every pass of generation must agree with it position by position.
    with steer(model, vec, positions=n_prompt):
        full, _ = resid(model, out[:, :-1])
    rows = torch.cat([seen[0]] + [s[:, -1:] for s in seen[1:]], dim=1)  # one row per position
    assert rows.shape == full.shape
    assert torch.allclose(rows, full, atol=1e-4 * full.abs().max())
    clean_prompt, _ = resid(model, out[:, :n_prompt])
    assert torch.allclose(rows[:, :n_prompt], clean_prompt, atol=1e-4 * full.abs().max())
    with steer(model, vec, 40.0 if model_name == "smol" else 10.0, positions="after_prompt"):
        strong = model.generate(
            prompt, max_new_tokens=6, do_sample=False, stop_at_eos=False, verbose=False, return_type="tokens"
        )
    # the first new token comes from the unsteered prompt pass
    assert torch.equal(strong[:, : n_prompt + 1], clean_out[:, : n_prompt + 1])
    assert not torch.equal(strong, clean_out)


@pytest.mark.integration
def test_shipped_sycophancy_vector_moves_agreement(smol):
    """The shipped letter CAA vector, loaded from disk, raises p(user's letter) at +8 and lowers it at -8."""
    from pathlib import Path

    import probes
    from hooks.scoring import option_logprobs
    from probes.sycophancy import sycophancy_metrics, sycophancy_questions

    path = next(Path("artifacts/smollm2-135m-instruct").glob("sycophancy_caa_letter_L*.safetensors"))
    vec = probes.load(path, model=smol)
    assert probes.read_metadata(path)["metrics"]["format"] == "letter"
    items = sycophancy_questions("capitals", n=12, seed=123, format="letter", conditions=("suggest_wrong",))
    prompts, options = items.prompts(smol), [it.options for it in items]
    p_match = {}
    for multiplier in (-8.0, 8.0):
        with steer(smol, vec, multiplier):
            logprobs = option_logprobs(smol, prompts, options, progress=False)
        report = sycophancy_metrics(items, logprobs, n_boot=10)
        p_match[multiplier] = report["suggest_wrong"]["p_match"]["mean"]
    assert p_match[8.0] > p_match[-8.0] + 0.1


def test_no_hooks_name_is_shadowed_by_a_submodule_of_the_same_name():
    # importing a submodule sets the package attribute of its name: a module hooks/steer.py made
    # `from hooks import steer` return the module after anything had imported hooks.steer
    import importlib.util

    import hooks

    for name in hooks.__all__:
        assert importlib.util.find_spec(f"hooks.{name}") is None, name
        assert callable(getattr(hooks, name)) or name == "SITES", name
