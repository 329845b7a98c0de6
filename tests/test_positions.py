import numpy as np
import pytest

from hooks.positions import Span, resolve_positions
from hooks.tokens import encode, left_pad


def test_last_and_fixed_index(tiny):
    prompts = ["abcd", "xy"]
    enc = encode(tiny.tokenizer, prompts)
    last = resolve_positions("last", enc, prompts)
    assert last.start.tolist() == [3, 1] and last.end.tolist() == [4, 2] and last.reduce == "last"
    second = resolve_positions(1, enc, prompts)
    assert second.start.tolist() == [1, 1]
    from_end = resolve_positions(-2, enc, prompts)
    assert from_end.start.tolist() == [2, 0]


def test_index_outside_a_prompt_names_the_prompt(tiny):
    enc = encode(tiny.tokenizer, ["abcd", "xy"])
    with pytest.raises(ValueError, match="prompt 1"):
        resolve_positions(3, enc, ["abcd", "xy"])


def test_char_span_after_prefix_picks_the_answer_tokens(tiny):
    prompts = ["Q: 2+2?\nA: four", "Q: 1+1?\nA: two!"]
    span = Span.after(["Q: 2+2?\nA:", "Q: 1+1?\nA:"], reduce=None)
    ranges = resolve_positions(span, encode(tiny.tokenizer, prompts), prompts)
    picked = [prompts[i][s:e] for i, (s, e) in enumerate(zip(ranges.start, ranges.end))]
    assert picked == [" four", " two!"]  # one token per character in the tiny tokenizer


def test_char_span_on_a_multichar_token_includes_overlapping_tokens(tiny):
    prompt = "<|im_start|>assistant"
    enc = encode(tiny.tokenizer, [prompt])
    ranges = resolve_positions(Span(start=3, end=5), enc, [prompt])
    assert (ranges.start[0], ranges.end[0]) == (0, 1)  # chars 3-5 lie inside the special token


def test_token_span_with_negative_indices(tiny):
    enc = encode(tiny.tokenizer, ["abcdef"])
    ranges = resolve_positions(Span(start=-3, end=-1, unit="token", reduce="max"), enc, ["abcdef"])
    assert (ranges.start[0], ranges.end[0], ranges.reduce) == (3, 5, "max")


def test_span_errors(tiny):
    prompts = ["abcd", "defg"]
    enc = encode(tiny.tokenizer, prompts)
    with pytest.raises(ValueError, match="prompt 1 does not start with"):
        resolve_positions(Span.after(["abc", "xyz"]), enc, prompts)
    with pytest.raises(ValueError, match="prompt 1.*covers no token"):
        resolve_positions(Span.after(["abc", "defg"]), enc, prompts)  # nothing after "defg"
    with pytest.raises(ValueError, match="3 entries"):
        resolve_positions(Span(start=[0, 1, 2]), enc, prompts)
    with pytest.raises(ValueError, match="empty or outside"):
        resolve_positions(Span(start=2, end=2, unit="token"), enc, prompts)
    with pytest.raises((ValueError, TypeError), match="reduce"):  # TypeError: the runtime type check
        Span(start=0, reduce="median")
    with pytest.raises(TypeError, match="position"):
        resolve_positions("first", enc, prompts)


def test_per_prompt_values_index_the_whole_list_when_given_a_slice(tiny):
    prompts = ["abcdef", "ghijkl", "mnopqr"]
    span = Span(start=[0, 1, 2], end=[1, 3, 6], unit="token")
    part = prompts[1:]
    ranges = resolve_positions(span, encode(tiny.tokenizer, part), part, first_index=1, n_total=3)
    assert ranges.start.tolist() == [1, 2] and ranges.end.tolist() == [3, 6]


def test_left_pad_puts_tokens_right_and_masks_the_rest():
    tokens, mask = left_pad([[5, 6, 7], [8]], pad_id=0)
    assert tokens.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]


def test_a_prompt_starting_with_bos_text_gets_no_second_bos(smol_tokenizer_like):
    tok = smol_tokenizer_like
    enc = encode(tok, ["hi", tok.bos_token + "hi"])
    assert enc.ids[0] == enc.ids[1]
    assert np.asarray(enc.offsets[1][1:]).tolist() == [[12, 13], [13, 14]]


@pytest.fixture
def smol_tokenizer_like(tiny):
    """The tiny tokenizer with BOS prepending switched on, as TransformerBridge configures tokenizers.

    A copy of the `tiny` fixture's tokenizer (`from conftest import ...` would find another
    conftest.py when tests/catalogue runs in the same session)."""
    import copy

    from tokenizers import processors

    tok = copy.deepcopy(tiny.tokenizer)
    bos = tok.bos_token
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, tok.bos_token_id)]
    )
    return tok
