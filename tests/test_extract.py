"""Extraction properties, checked on a tiny random model and (marked integration) on SmolLM2."""

from __future__ import annotations

import pytest
import torch

from hooks import ActivationStore, Span, SpanActivations, extract_activations, hook_name
from probes.chat import chat_prompt


@pytest.fixture(params=["tiny", pytest.param("smol", marks=pytest.mark.integration)])
def model(request):
    return request.getfixturevalue(request.param)


def mixed_prompts(model) -> list[str]:
    """Prompts from 1-2 tokens to ~150 tokens, so left padding is heavy in a batch."""
    return [
        "Hi",
        "The city of Paris is in France.",
        chat_prompt(model, "What is the capital of Peru?", assistant_prefix="The capital is Lima"),
        "Numbers: " + ", ".join(str(i) for i in range(40)),
        "ok",
        "A longer passage about rivers and mountains, repeated. " * 2,
    ]


def count_calls(model, name: str) -> list[int]:
    """A user hook at `name` that counts how often it fires (removed by model.reset_hooks())."""
    calls = [0]
    model.add_hook(name, lambda act, hook: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.fixture(autouse=True)
def _remove_user_hooks(request):
    yield
    for name in ("tiny", "smol"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset_hooks()


def test_shape_dtype_device_and_layer_order(model):
    n_layers = model.cfg.n_layers
    acts = extract_activations(model, mixed_prompts(model), layers=[n_layers - 1, 0], progress=False)
    assert acts.shape == (6, 2, model.cfg.d_model)
    assert acts.dtype == torch.float32 and acts.device.type == "cpu"
    both = extract_activations(model, mixed_prompts(model), layers=[0, n_layers - 1], progress=False)
    assert torch.equal(acts[:, 0], both[:, 1]) and torch.equal(acts[:, 1], both[:, 0])


def test_batched_equals_one_prompt_at_a_time(model):
    prompts = mixed_prompts(model)
    batched = extract_activations(model, prompts, batch_size=len(prompts), progress=False)
    single = torch.cat([extract_activations(model, [p], progress=False) for p in prompts])
    error = (batched - single).abs().amax(dim=(0, 2))  # per layer
    scale = single.abs().amax(dim=(0, 2))
    assert (error <= 1e-5 * scale).all(), (error / scale).max()


def test_equals_run_with_cache_at_the_same_hook(model):
    prompt = mixed_prompts(model)[2]
    layers = [0, model.cfg.n_layers // 2, model.cfg.n_layers - 1]
    span = Span(start=0, unit="token", reduce=None)
    ours = extract_activations(
        model, [prompt], layers=layers, site="resid_mid", position=span, progress=False
    )
    tokens = ours.token_ids[None]
    _, cache = model.run_with_cache(tokens, names_filter=[hook_name(layer, "resid_mid") for layer in layers])
    for column, layer in enumerate(layers):
        assert torch.equal(ours.values[:, column], cache[hook_name(layer, "resid_mid")][0].float())


def test_early_stop_skips_later_blocks_and_unembed_without_changing_values(model):
    n_layers = model.cfg.n_layers
    last_block = count_calls(model, f"blocks.{n_layers - 1}.hook_resid_mid")
    unembed = count_calls(model, "unembed.hook_in")
    prompts = mixed_prompts(model)
    shallow = extract_activations(model, prompts, layers=range(2), batch_size=3, progress=False)
    assert last_block[0] == 0 and unembed[0] == 0
    full = extract_activations(model, prompts, layers=None, batch_size=3, progress=False)
    assert last_block[0] == 2 and unembed[0] == 0  # two batches ran every block, still no logits
    assert torch.equal(shallow, full[:, :2])
    logits_run = model(mixed_prompts(model)[1])  # the unembedding does run in a normal forward
    assert logits_run.shape[-1] == model.cfg.d_vocab and unembed[0] == 1


def test_resid_pre_of_a_layer_is_resid_post_of_the_one_before(model):
    prompts = mixed_prompts(model)
    pre = extract_activations(model, prompts, layers=[2], site="resid_pre", progress=False)
    post = extract_activations(model, prompts, layers=[1], site="resid_post", progress=False)
    assert torch.equal(pre, post)


def test_span_reductions_agree_with_token_by_token_values(model):
    question = chat_prompt(model, "Name a large river.")
    prompts = [question + "The Amazon.", question + "The Nile is long."]
    spans = extract_activations(
        model, prompts, layers=[1, 3], position=Span.after([question] * 2, reduce=None), progress=False
    )
    assert isinstance(spans, SpanActivations) and len(spans) == 2
    answers = [model.tokenizer.decode(spans.token_ids[spans.prompt_index == i]) for i in range(2)]
    assert answers == ["The Amazon.", "The Nile is long."]
    for reduce, expected in [
        ("mean", lambda x: x.mean(0)),
        ("max", lambda x: x.amax(0)),
        ("last", lambda x: x[-1]),
    ]:
        reduced = extract_activations(
            model, prompts, layers=[1, 3], position=Span.after([question] * 2, reduce=reduce), progress=False
        )
        for i in range(2):
            torch.testing.assert_close(reduced[i], expected(spans[i]), rtol=1e-5, atol=1e-5)
    last = extract_activations(model, prompts, layers=[1, 3], position=-1, progress=False)
    assert torch.equal(last, extract_activations(model, prompts, layers=[1, 3], progress=False))


def test_token_id_prompts_match_text_prompts(model):
    prompts = mixed_prompts(model)
    ids = [
        model.tokenizer(p, add_special_tokens=not p.startswith(model.tokenizer.bos_token)).input_ids
        for p in prompts
    ]
    assert torch.equal(
        extract_activations(model, ids, layers=[1], progress=False),
        extract_activations(model, prompts, layers=[1], progress=False),
    )


def test_streaming_to_shards_matches_memory_and_resumes(model, tmp_path):
    prompts = mixed_prompts(model) * 2
    # shard_size 5 in memory too, so both runs form identical batches (padding moves values ~1e-7)
    in_memory = extract_activations(model, prompts, layers=[0, 2], batch_size=4, shard_size=5, progress=False)
    store = extract_activations(
        model, prompts, layers=[0, 2], batch_size=4, out_dir=tmp_path, shard_size=5, progress=False
    )
    assert isinstance(store, ActivationStore) and store.complete and len(store) == 12
    assert sorted(p.name for p in tmp_path.iterdir())[-3:] == [f"shard-0000{k}.safetensors" for k in range(3)]
    assert torch.equal(store.load(), in_memory)
    assert torch.equal(store.load(layers=[2]), in_memory[:, 1:])

    first_block = count_calls(model, "blocks.0.hook_resid_post")
    store.shard_path(1).unlink()  # as if the run had died while computing shard 1
    resumed = extract_activations(
        model, prompts, layers=[0, 2], batch_size=4, out_dir=tmp_path, shard_size=5, progress=False
    )
    assert first_block[0] == 2  # only shard 1's five prompts ran, in two batches
    assert torch.equal(resumed.load(), in_memory)
    assert torch.equal(ActivationStore.load_dir(tmp_path).load(), in_memory)

    with pytest.raises(ValueError, match="different extraction"):
        extract_activations(
            model, prompts[:-1], layers=[0, 2], out_dir=tmp_path, shard_size=5, progress=False
        )


def test_token_by_token_spans_stream_to_shards(model, tmp_path):
    prompts = mixed_prompts(model)
    span = Span(start=-2, unit="token", reduce=None)
    expected = extract_activations(model, prompts, layers=[1], position=span, progress=False)
    store = extract_activations(
        model, prompts, layers=[1], position=span, out_dir=tmp_path, shard_size=4, progress=False
    )
    loaded = store.load()
    assert torch.equal(loaded.values, expected.values) and torch.equal(loaded.lengths, expected.lengths)
    assert torch.equal(loaded.token_ids, expected.token_ids)


def test_hooks_are_removed_and_user_hooks_kept(model):
    name = hook_name(1)
    seen = count_calls(model, name)
    extract_activations(model, ["abc", "de"], layers=[1, 2], progress=False)
    assert seen[0] == 1  # the user's hook saw the one batch

    def fail(act, hook):
        raise RuntimeError("a hook failed mid-forward")

    model.add_hook(hook_name(0), fail)
    with pytest.raises(RuntimeError, match="mid-forward"):
        extract_activations(model, ["abc", "de"], layers=[1, 2], progress=False)
    assert len(model.hook_dict[name].fwd_hooks) == 1  # the user's counter, not ours
    assert len(model.hook_dict[hook_name(2)].fwd_hooks) == 0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"prompts": []}, ValueError, "empty"),
        ({"layers": [99]}, ValueError, "out of range"),
        ({"site": "resid_final"}, ValueError, "unknown site"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"position": 50}, ValueError, "outside prompt 0"),
        ({"prompts": ["ok", ""]}, ValueError, "prompt 1 has no tokens"),
        (
            {"prompts": ["ok", "x" * 600]},
            ValueError,
            "prompt 1 has 600 tokens, more than the model's context of 512",
        ),
    ],
)
def test_bad_requests_fail_with_clear_errors(tiny, kwargs, error, message):
    args = {"prompts": ["ok", "fine"], "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        extract_activations(tiny, **args)


def test_shape_annotations_are_checked_at_runtime():
    from jaxtyping import TypeCheckError

    from hooks.capture import select_positions

    with pytest.raises(TypeCheckError):
        select_positions(
            torch.zeros(2, 5), torch.zeros(2, dtype=torch.long), torch.ones(2, dtype=torch.long), "last"
        )
