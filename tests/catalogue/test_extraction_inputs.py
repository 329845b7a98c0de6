"""Bad inputs to extract_activations: each one ends in a clear error or a result known to be right.

Every case runs on the tiny character-level model (one token per printable character, no BOS), so
token positions equal character positions and expected results can be built by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from catalogue_checks import clear_error

from hooks import Span, extract_activations

PROMPTS = ["hello", "hi"]


def run(model, **kwargs):
    return extract_activations(model, **{"prompts": PROMPTS, "progress": False, **kwargs})


def ids_of(model, text: str) -> list[int]:
    return model.tokenizer(text, add_special_tokens=False).input_ids


# Each case: (id, keyword arguments built lazily so a Span is constructed inside the check,
# words the error message must contain). Words are regular expressions, matched case-insensitively.
ERRORS = [
    # prompts
    ("prompts-bare-string", lambda m: {"prompts": "hello"}, ["single str", r"\[prompt\]"]),
    ("prompts-bare-bytes", lambda m: {"prompts": b"hello"}, ["single bytes", r"\[prompt\]"]),
    ("prompts-bytes-in-list", lambda m: {"prompts": [b"hello"]}, ["prompt 0", "bytes", "decode"]),
    ("prompts-bytearray-in-list", lambda m: {"prompts": ["ok", bytearray(b"hi")]}, ["prompt 1", "bytearray"]),
    ("prompts-none", lambda m: {"prompts": None}, ["prompts", "NoneType", "list"]),
    ("prompts-int", lambda m: {"prompts": 5}, ["prompts", "int", "list"]),
    ("prompts-set", lambda m: {"prompts": {"hello", "hi"}}, ["ordered", "set"]),
    ("prompts-empty-list", lambda m: {"prompts": []}, ["empty", "at least one"]),
    ("prompts-empty-tuple", lambda m: {"prompts": ()}, ["empty", "at least one"]),
    ("prompts-list-of-ints", lambda m: {"prompts": [5, 6]}, ["prompt 0", r"\(int\)", "string or a list"]),
    ("prompts-none-inside", lambda m: {"prompts": ["ok", None]}, ["prompt 1", "NoneType"]),
    ("prompts-float-inside", lambda m: {"prompts": ["ok", 1.5]}, ["prompt 1", "float"]),
    ("prompts-mixture", lambda m: {"prompts": ["ok", [5, 6]]}, ["mix", "prompt 0", "prompt 1"]),
    ("token-ids-float", lambda m: {"prompts": [[5.0, 6.0]]}, ["prompt 0", "int token ids"]),
    ("token-ids-bool", lambda m: {"prompts": [[True, False]]}, ["prompt 0", "int token ids"]),
    ("token-ids-nested", lambda m: {"prompts": [[[5, 6]]]}, ["prompt 0", "int token ids"]),
    ("token-ids-float-tensor", lambda m: {"prompts": [torch.tensor([5.0])]}, ["prompt 0", "float32"]),
    ("token-ids-float-array", lambda m: {"prompts": [np.array([5.0])]}, ["prompt 0", "float64"]),
    (
        "token-ids-2d-tensor-row",
        lambda m: {"prompts": [torch.ones(2, 2, dtype=torch.long)]},
        ["shape", "2, 2"],
    ),
    ("token-ids-1d-tensor-as-prompts", lambda m: {"prompts": torch.tensor([5, 6])}, ["prompt 0", "shape"]),
    ("empty-string-prompt", lambda m: {"prompts": ["ok", ""]}, ["prompt 1 has no tokens", "remove"]),
    ("empty-token-list", lambda m: {"prompts": [[5], []]}, ["prompt 1 has no tokens"]),
    (
        "token-id-at-vocab-size",
        lambda m: {"prompts": [[5, m.cfg.d_vocab]]},
        ["prompt 0", "vocabulary", "103"],
    ),
    ("token-id-negative", lambda m: {"prompts": [[5], [-1, 5]]}, ["prompt 1", "-1", "vocabulary"]),
    ("token-id-huge", lambda m: {"prompts": [[10**12]]}, ["prompt 0", "vocabulary"]),
    (
        "token-id-tensor-oov",
        lambda m: {"prompts": [torch.tensor([5, 999])]},
        ["prompt 0", "999", "vocabulary"],
    ),
    ("text-longer-than-n_ctx", lambda m: {"prompts": ["ok", "x" * 600]}, ["prompt 1", "600 tokens", "512"]),
    ("ids-longer-than-n_ctx", lambda m: {"prompts": [[5] * 513]}, ["prompt 0", "513 tokens", "512"]),
    # layers
    ("layer-too-large", lambda m: {"layers": [4]}, ["layer 4", "out of range", "4 layers"]),
    ("layer-too-negative", lambda m: {"layers": [-5]}, ["layer -5", "out of range"]),
    ("layers-duplicate", lambda m: {"layers": [1, 1]}, [r"\[1\] more than once", "give each layer once"]),
    ("layers-duplicate-via-negative", lambda m: {"layers": [1, -3]}, [r"\[1\] more than", "from the end"]),
    ("layers-empty", lambda m: {"layers": []}, ["empty"]),
    ("layers-float-inside", lambda m: {"layers": [1.0]}, ["ints", "float"]),
    ("layers-bool", lambda m: {"layers": [True]}, ["ints", "bool"]),
    ("layers-none-inside", lambda m: {"layers": [0, None]}, ["ints", "NoneType"]),
    ("layers-string", lambda m: {"layers": "1"}, ["layers", "str"]),
    ("layers-float", lambda m: {"layers": 1.5}, ["layers", "float"]),
    ("layers-set", lambda m: {"layers": {0, 1}}, ["layers", "ordered", "set"]),
    ("site-unknown", lambda m: {"site": "resid_final"}, ["unknown site", "resid_post"]),
    # position
    ("position-float", lambda m: {"position": 1.5}, ["position", "float", "Span"]),
    ("position-string", lambda m: {"position": "first"}, ["position", "'last'"]),
    ("position-none", lambda m: {"position": None}, ["position", "NoneType"]),
    ("position-list", lambda m: {"position": [0, 1]}, ["position", "list", "Span"]),
    ("position-bool", lambda m: {"position": True}, ["position", "bool"]),
    ("position-array", lambda m: {"position": np.array([1, 2])}, ["position", "ndarray"]),
    ("position-past-end", lambda m: {"position": 5}, ["outside prompt 0", "5 tokens", r"-5\.\.4"]),
    ("position-before-start", lambda m: {"position": -3}, ["outside prompt 1", "2 tokens"]),
    # Span
    ("span-negative-char-start", lambda m: {"position": Span(start=-1)}, ["negative", "unit='token'"]),
    ("span-negative-char-end", lambda m: {"position": Span(start=0, end=-1)}, ["Span.end", "negative"]),
    ("span-negative-char-per-prompt", lambda m: {"position": Span(start=[0, -2])}, ["negative"]),
    ("span-end-before-start", lambda m: {"position": Span(start=1, end=0)}, ["prompt 0", "ends before"]),
    ("span-empty", lambda m: {"position": Span(start=1, end=1)}, ["prompt 0", "covers no token"]),
    ("span-start-past-prompt", lambda m: {"position": Span(start=3)}, ["past the end", "prompt 1", "2 char"]),
    (
        "span-end-past-prompt",
        lambda m: {"position": Span(start=0, end=50)},
        ["past the end", "prompt 0", "5 char"],
    ),
    ("span-token-past-prompt", lambda m: {"position": Span(start=3, unit="token")}, ["prompt 1", "outside"]),
    ("span-token-end-before-start", lambda m: {"position": Span(start=2, end=1, unit="token")}, ["empty"]),
    (
        "span-token-negative-too-far",
        lambda m: {"position": Span(start=-3, unit="token")},
        ["prompt 1", "2 tokens"],
    ),
    ("span-float-start", lambda m: {"position": Span(start=1.5)}, ["Span.start", "float"]),
    ("span-string-start", lambda m: {"position": Span(start="0")}, ["Span.start", "str"]),
    ("span-bool-start", lambda m: {"position": Span(start=True)}, ["Span.start", "bool"]),
    (
        "span-none-in-start",
        lambda m: {"position": Span(start=[0, None])},
        ["Span.start", "one int per prompt"],
    ),
    ("span-float-end", lambda m: {"position": Span(start=0, end=2.5)}, ["Span.end", "float"]),
    ("span-float-array", lambda m: {"position": Span(start=np.zeros(2))}, ["Span.start", "ndarray"]),
    ("span-wrong-count", lambda m: {"position": Span(start=[0, 1, 2])}, ["3 entries", "2 prompts"]),
    ("span-bad-unit", lambda m: {"position": Span(start=0, unit="word")}, ["unit", "'word'"]),
    ("span-bad-reduce", lambda m: {"position": Span(start=0, reduce="median")}, ["reduce", "median"]),
    ("span-after-bare-string", lambda m: {"position": Span.after("he")}, ["one prefix", r"\[prefix\]"]),
    ("span-after-non-strings", lambda m: {"position": Span.after([1, 2])}, ["prefix string"]),
    ("span-after-wrong-prefix", lambda m: {"position": Span.after(["hex", "h"])}, ["prompt 0", "prefix"]),
    ("span-after-nothing-after", lambda m: {"position": Span.after(["he", "hi"])}, ["prompt 1", "covers no"]),
    ("span-after-wrong-count", lambda m: {"position": Span.after(["h"])}, ["1 prefixes", "2 prompts"]),
    ("char-span-on-token-ids", lambda m: {"prompts": [[5, 6]], "position": Span(start=0)}, ["text prompts"]),
    # sizes and devices
    ("batch-size-zero", lambda m: {"batch_size": 0}, ["batch_size", "positive int", "got 0"]),
    ("batch-size-negative", lambda m: {"batch_size": -4}, ["batch_size", "positive int"]),
    ("batch-size-float", lambda m: {"batch_size": 1.5}, ["batch_size", "positive int", "float"]),
    ("batch-size-bool", lambda m: {"batch_size": True}, ["batch_size", "bool"]),
    ("batch-size-string", lambda m: {"batch_size": "8"}, ["batch_size", "str"]),
    ("batch-size-none", lambda m: {"batch_size": None}, ["batch_size", "NoneType"]),
    ("shard-size-zero", lambda m: {"shard_size": 0}, ["shard_size", "positive int"]),
    ("shard-size-float", lambda m: {"shard_size": 2.5}, ["shard_size", "float"]),
    ("out-device-unknown", lambda m: {"out_device": "gpu0"}, ["out_device", "'gpu0'", "cpu"]),
]


@pytest.mark.parametrize("make, words", [pytest.param(m, w, id=i) for i, m, w in ERRORS])
def test_bad_input_is_a_clear_error(tiny, make, words):
    with clear_error(*words):
        run(tiny, **make(tiny))


def test_bad_input_in_a_later_shard_is_refused_before_any_work(tiny, tmp_path):
    prompts = ["ok"] * 5 + [b"bytes"]
    with clear_error("prompt 5", "bytes"):
        run(tiny, prompts=prompts, out_dir=tmp_path, shard_size=2)
    assert not list(tmp_path.iterdir())  # nothing written


# Correct results: each case is compared with an equivalent, plainly valid call.
def _same(model, kwargs, reference, pick=lambda x: x):
    assert torch.equal(pick(run(model, **kwargs)), run(model, **reference))


def test_layers_in_any_order_come_back_in_that_order(tiny):
    both = run(tiny, layers=[3, 1])
    assert torch.equal(both[:, 0], run(tiny, layers=[3])[:, 0])
    assert torch.equal(both[:, 1], run(tiny, layers=[1])[:, 0])


@pytest.mark.parametrize(
    "layers, reference",
    [
        pytest.param([-1], [3], id="negative-layer"),
        pytest.param(2, [2], id="int-layer"),
        pytest.param(range(4), None, id="range"),
        pytest.param(np.arange(2), [0, 1], id="numpy-array"),
        pytest.param(np.int64(2), [2], id="numpy-int"),
        pytest.param((3, 0), [3, 0], id="tuple"),
    ],
)
def test_equivalent_layer_requests(tiny, layers, reference):
    _same(tiny, {"layers": layers}, {"layers": reference})


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda m: tuple(PROMPTS), id="tuple"),
        pytest.param(lambda m: (p for p in PROMPTS), id="generator"),
        pytest.param(lambda m: np.array(PROMPTS), id="numpy-strings"),
        pytest.param(lambda m: [ids_of(m, p) for p in PROMPTS], id="token-id-lists"),
        pytest.param(lambda m: [tuple(ids_of(m, p)) for p in PROMPTS], id="token-id-tuples"),
        pytest.param(lambda m: [torch.tensor(ids_of(m, p)) for p in PROMPTS], id="token-id-tensors"),
        pytest.param(lambda m: [np.array(ids_of(m, p)) for p in PROMPTS], id="token-id-arrays"),
        pytest.param(lambda m: [[np.int64(t) for t in ids_of(m, p)] for p in PROMPTS], id="numpy-int-ids"),
    ],
)
def test_equivalent_prompt_forms(tiny, make):
    _same(tiny, {"prompts": make(tiny)}, {})


def test_a_2d_id_tensor_is_one_prompt_per_row(tiny):
    rows = torch.tensor([ids_of(tiny, "abc"), ids_of(tiny, "xyz")])
    _same(tiny, {"prompts": rows}, {"prompts": ["abc", "xyz"]})


@pytest.mark.parametrize(
    "position, reference",
    [
        pytest.param(-1, "last", id="minus-one-is-last"),
        pytest.param(np.int64(1), 1, id="numpy-int"),
        pytest.param(Span(start=-1, unit="token", reduce="last"), "last", id="token-span-last"),
        pytest.param(
            Span(start=np.array([1, 0]), unit="token"), Span(start=[1, 0], unit="token"), id="np-span"
        ),
        pytest.param(
            Span(start=(1, 0), end=[3, None], unit="token"),
            Span(start=[1, 0], end=[3, 2], unit="token"),
            id="none-end",
        ),
        pytest.param(Span(start=1, end=2), Span(start=1, end=2, unit="token"), id="char-is-token-here"),
    ],
)
def test_equivalent_positions(tiny, position, reference):
    _same(tiny, {"position": position}, {"position": reference})


def test_char_span_picks_the_characters_asked_for(tiny):
    spans = run(tiny, prompts=["hello", "hi!"], position=Span(start=1, end=3, reduce=None), layers=[0])
    assert tiny.tokenizer.decode(spans.token_ids[spans.prompt_index == 0]) == "el"
    assert tiny.tokenizer.decode(spans.token_ids[spans.prompt_index == 1]) == "i!"


def test_a_prompt_of_exactly_n_ctx_tokens_runs(tiny):
    long = "x" * tiny.cfg.n_ctx
    assert run(tiny, prompts=[long], layers=[0]).shape == (1, 1, tiny.cfg.d_model)


def test_duplicate_prompts_give_identical_rows(tiny):
    acts = run(tiny, prompts=["same", "other", "same"])
    assert torch.equal(acts[0], acts[2]) and not torch.equal(acts[0], acts[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"batch_size": 100}, id="batch-larger-than-prompts"),
        pytest.param({"batch_size": np.int64(1)}, id="numpy-batch-size"),
        pytest.param({"shard_size": 1}, id="shard-size-one"),
        pytest.param({"out_device": torch.device("cpu")}, id="device-object"),
    ],
)
def test_sizes_and_devices_do_not_change_values(tiny, kwargs):
    prompts = ["abcd", "efgh", "ijkl"]  # equal lengths: no padding, so batching changes nothing
    one_at_a_time = run(tiny, prompts=prompts, batch_size=1)
    torch.testing.assert_close(run(tiny, prompts=prompts, **kwargs), one_at_a_time, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "index, kind, words",
    [
        pytest.param(1.5, TypeError, ["prompt index", "float"], id="float"),
        pytest.param(True, TypeError, ["prompt index", "bool"], id="bool"),
        pytest.param(
            torch.tensor([0, 1]), TypeError, ["prompt index", "Tensor", "prompt_index"], id="tensor"
        ),
        pytest.param(2, IndexError, ["prompt index 2", "2 prompts"], id="past-end"),
        pytest.param(-3, IndexError, ["prompt index -3", "2 prompts"], id="before-start"),
    ],
)
def test_indexing_token_by_token_results_badly_is_a_clear_error(tiny, index, kind, words):
    spans = run(tiny, position=Span(start=0, unit="token", reduce=None))
    with clear_error(*words, kind=kind):
        spans[index]


def test_indexing_token_by_token_results_by_numpy_and_negative_ints(tiny):
    spans = run(tiny, position=Span(start=0, unit="token", reduce=None))
    assert torch.equal(spans[np.int64(1)], spans.values[5:]) and torch.equal(spans[-2], spans.values[:5])
