import logging

import pytest

from probes.chat import chat_prompt


def test_single_turn_with_system_and_assistant_prefix(tiny):
    text = chat_prompt(tiny, "Is Paris in France?", system="Be brief.", assistant_prefix="Yes")
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nIs Paris in France?<|im_end|>\n"
        "<|im_start|>assistant\nYes"
    )


def test_alternating_turns_and_message_dicts_render_the_same(tiny):
    turns = ["What is 2+2?", "5", "Are you sure?"]
    as_dicts = [{"role": r, "content": c} for r, c in zip(["user", "assistant", "user"], turns)]
    assert chat_prompt(tiny, turns) == chat_prompt(tiny, as_dicts)
    assert chat_prompt(tiny, turns).count("<|im_start|>assistant\n") == 2


@pytest.mark.parametrize("turns", [[], ["question", "answer"], [{"role": "user"}], [1, 2, 3]])
def test_bad_turns_are_rejected(tiny, turns):
    with pytest.raises((ValueError, TypeError)):
        chat_prompt(tiny, turns)


def test_a_tokenizer_without_template_falls_back_with_a_warning(tiny, caplog):
    from conftest import char_tokenizer

    tokenizer = char_tokenizer()
    tokenizer.chat_template = None
    with caplog.at_level(logging.WARNING):
        text = chat_prompt(tokenizer, "Hi", assistant_prefix="Hello")
    assert text == "User: Hi\n\nAssistant: Hello" and "no chat template" in caplog.text


@pytest.mark.integration
def test_default_model_template_inserts_its_system_prompt(smol):
    text = chat_prompt(smol, "Hi", assistant_prefix="Sure")
    assert text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert text.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nSure")
