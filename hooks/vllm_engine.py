"""The vLLM backend: the library's model calls on a vLLM engine, for models and workloads past one GPU.

A :class:`VLLMModel` wraps ``vllm.LLM`` (tensor / pipeline parallel, continuous batching, paged KV
cache) with the ``vllm-lens`` plugin, which reads the residual stream and adds steering vectors per
request. The library's calls take it where they take a TransformerBridge:

- :func:`hooks.extract_activations` at ``resid_post`` (any layers, positions and spans, shards);
- :func:`hooks.generate` (greedy or sampled), steered inside :func:`hooks.steer` (every mode,
  ``positions="all"`` or ``"after_prompt"``);
- :func:`hooks.option_logprobs` and :func:`hooks.forced_answers` (letters, states and the logit
  lens) from the engine's prompt log-probabilities and residual stream.

What only a Python hook of the caller's can do (``model.hooks``, ``run_with_cache``, other hook
sites, steering from a given position) raises :class:`BackendError`, which names the TransformerLens
backend. The library writes no engine code: capture and steering are vllm-lens',
batching and parallelism vLLM's.

Example:
    >>> model = VLLMModel(default_model_folder(), tensor_parallel_size=1)
    >>> acts = extract_activations(model, prompts, layers=[6, 12])     # [n, 2, d_model]
    >>> with steer(model, vector, 4.0):
    ...     texts = generate(model, prompts, max_new_tokens=32)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from jaxtyping import Float, Int
from torch import Tensor

from hooks.capture import select_positions
from hooks.names import HOOK_PATTERN

INSTALL = "install the vLLM extra first: `make install-vllm` (see the README's scale-out section)"


class BackendError(NotImplementedError):
    """A call the vLLM backend cannot run; the message names the backend that can."""


def is_served(model) -> bool:
    """Whether `model` is a :class:`VLLMModel` (the library's calls branch on this)."""
    return isinstance(model, VLLMModel)


def unsupported(what: str) -> BackendError:
    return BackendError(
        f"{what} needs a Python hook inside the forward pass, which the vLLM backend does not run; "
        "load the model with backend='transformer_lens' (the default) for this call"
    )


@dataclass(frozen=True)
class ServedConfig:
    """The part of TransformerLens' ``cfg`` the library reads, for a served model."""

    model_name: str
    n_layers: int
    d_model: int
    n_ctx: int
    d_vocab: int
    dtype: torch.dtype
    device: torch.device = torch.device("cpu")


@dataclass(frozen=True)
class _Push:
    """One active steering vector: added after block `layer`, times `scale`, at `positions`."""

    layer: int
    direction: Float[Tensor, " d_model"]
    scale: float
    positions: str  # "all" | "after_prompt"
    mode: str = "add"  # "add" | "project" | "project_then_add"


class VLLMModel:
    """A vLLM engine behind the library's calls (see the module docstring for what it runs).

    `path` is a Hugging Face folder or hub name; `name` (default: `path`) is the model's name for
    steering vectors and results, e.g. the hub name of a converted local folder. `engine` keywords
    go to ``vllm.LLM``
    (``tensor_parallel_size``, ``pipeline_parallel_size``, ``max_model_len``,
    ``gpu_memory_utilization``, ...). With one process (no parallelism) the engine runs in this
    process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``), which starts ~3x faster and needs no
    ``if __name__ == "__main__"`` guard.

    Example:
        >>> model = VLLMModel("meta-llama/Llama-3.3-70B-Instruct", dtype=torch.bfloat16,
        ...                   tensor_parallel_size=4)
    """

    backend = "vllm"

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        dtype: torch.dtype = torch.float32,
        seed: int = 0,
        **engine,
    ):
        try:
            import vllm
            import vllm_lens  # noqa: F401  (its plugin registers through vLLM's entry points)
        except ImportError as error:
            raise ImportError(f"backend='vllm' needs vllm and vllm-lens ({error}); {INSTALL}") from error
        if engine.get("tensor_parallel_size", 1) * engine.get("pipeline_parallel_size", 1) == 1:
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")  # GiB of KV cache on a CPU build
        engine.setdefault("enforce_eager", True)
        self.path = str(path)
        self.llm = vllm.LLM(model=self.path, dtype=dtype, seed=seed, **engine)
        self.tokenizer = _bridge_tokenizer(self.llm.get_tokenizer())
        hf = self.llm.llm_engine.model_config.hf_config
        self.cfg = ServedConfig(
            model_name=name or self.path,
            n_layers=hf.num_hidden_layers,
            d_model=hf.hidden_size,
            n_ctx=self.llm.llm_engine.model_config.max_model_len,
            d_vocab=hf.vocab_size,
            dtype=dtype,
        )
        layers = range(self.cfg.n_layers)
        self.hook_dict = {  # the points the engine reaches: block outputs
            **{f"blocks.{layer}.hook_resid_post": None for layer in layers},
            **{f"blocks.{layer}.hook_resid_pre": None for layer in layers[1:]},
        }
        self.pushes: list[_Push] = []  # the vectors of the enclosing steer() blocks

    def __repr__(self) -> str:
        return f"VLLMModel({self.path!r}, n_layers={self.cfg.n_layers}, d_model={self.cfg.d_model})"

    # -- what a TransformerBridge does with Python hooks ------------------------------------------
    def hooks(self, *args, **kwargs):
        raise unsupported("model.hooks")

    def run_with_cache(self, *args, **kwargs):
        raise unsupported("run_with_cache")

    def parameters(self):
        raise unsupported("reading the weights (model.parameters)")

    def __call__(self, *args, **kwargs):
        raise unsupported("calling the model for logits")

    # -- the engine calls -------------------------------------------------------------------------
    def residuals(
        self, ids: Sequence[Sequence[int]], layers: Sequence[int]
    ) -> list[Float[Tensor, "layer seq d_model"]]:
        """The residual stream after each block in `layers` at every prompt token, per prompt.

        Steering vectors of an enclosing :func:`hooks.steer` apply, as with a TransformerBridge.
        """
        from vllm import SamplingParams

        extra = {"output_residual_stream": list(layers)}
        params = [
            SamplingParams(max_tokens=1, temperature=0.0, extra_args=self._steering(extra, len(row), 0))
            for row in ids
        ]
        outputs = self._run(ids, params)
        found = [out.activations["residual_stream"][:, : len(row)].float() for out, row in zip(outputs, ids)]
        for row, act in zip(ids, found):
            if act.shape != (len(layers), len(row), self.cfg.d_model):
                shape = tuple(act.shape)
                raise RuntimeError(f"vllm-lens returned residuals of shape {shape} for {len(row)} tokens")
        return found

    def capture(
        self,
        ids: Sequence[Sequence[int]],
        layers: Sequence[int],
        start: Int[Tensor, " batch"],
        end: Int[Tensor, " batch"],
        reduce,
    ) -> list[Float[Tensor, "rows d_model"]]:
        """:func:`hooks.capture.capture_batch` on the engine: `start`/`end` in left-padded coordinates."""
        found = self.residuals(ids, layers)
        width = max(len(row) for row in ids)
        per_layer = []
        for j in range(len(layers)):
            padded = torch.zeros(len(ids), width, self.cfg.d_model)
            for i, act in enumerate(found):
                padded[i, width - act.shape[1] :] = act[j]
            per_layer.append(select_positions(padded, start, end, reduce))
        return per_layer

    def complete(
        self,
        ids: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float | None,
        seed: int,
        eos_token_id: int,
    ) -> list[tuple[list[int], bool]]:
        """New tokens of each prompt and whether it stopped at `eos_token_id`, steered if asked."""
        from vllm import SamplingParams

        stops = [eos_token_id] if 0 <= eos_token_id < self.cfg.d_vocab else []  # none: run to full length
        params = [
            SamplingParams(
                max_tokens=max_new_tokens,
                temperature=float(temperature),
                top_p=1.0 if top_p is None else float(top_p),
                seed=None if temperature == 0 else seed + i,
                stop_token_ids=stops,
                ignore_eos=not stops,
                skip_special_tokens=True,
                extra_args=self._steering({}, len(row), max_new_tokens),
            )
            for i, row in enumerate(ids)
        ]
        outputs = self._run(ids, params)
        done = []
        for out in outputs:
            tokens = list(out.outputs[0].token_ids)
            stopped = bool(tokens) and tokens[-1] == eos_token_id
            done.append((tokens[:-1] if stopped else tokens, stopped))
        return done

    def prompt_logprobs(self, ids: Sequence[Sequence[int]]) -> list[list[float]]:
        """log p(token t | tokens < t) for t = 1 .. len-1 of each sequence (the engine's own numbers)."""
        from vllm import SamplingParams

        params = [
            SamplingParams(
                max_tokens=1, temperature=0.0, prompt_logprobs=0, extra_args=self._steering({}, len(row), 0)
            )
            for row in ids
        ]
        outputs = self._run(ids, params)
        return [
            [float(step[token].logprob) for step, token in zip(out.prompt_logprobs[1:], row[1:])]
            for out, row in zip(outputs, ids)
        ]

    def last_residuals(self, ids: Sequence[Sequence[int]]) -> Float[Tensor, "n layer d_model"]:
        """The residual stream after every block at the last token of each sequence.

        A vllm-lens hook keeps that one position in the engine, so nothing of size
        ``[layer, seq, d_model]`` leaves it.
        """
        from vllm import SamplingParams
        from vllm_lens import Hook

        layers = list(range(self.cfg.n_layers))
        keep = {"apply_hooks": [Hook(fn=_KeepLast(), layer_indices=layers)]}
        params = [
            SamplingParams(max_tokens=1, temperature=0.0, extra_args=self._steering(keep, len(row), 0))
            for row in ids
        ]
        found = [out.hook_results["0"] for out in self._run(ids, params)]
        return torch.stack([torch.stack([kept[str(i)] for i in layers]) for kept in found]).float()

    def logit_lens(
        self, resid: Float[Tensor, "n layer d_model"], token_ids: Sequence[int]
    ) -> Float[Tensor, "n layer k"]:
        """Log-softmax over `token_ids` of each state through the final norm and the unembedding.

        The final norm and the unembedding rows are read from the model's own weight files into
        its own Hugging Face norm module (built on the meta device, so nothing else is loaded).
        """
        norm, unembed = self._head()
        with torch.no_grad():
            logits = norm(resid.float()) @ unembed[list(token_ids)].T
        return logits.float().log_softmax(-1)

    def _head(self):
        if getattr(self, "_head_cache", None) is None:
            self._head_cache = _final_norm_and_unembedding(self.path)
        return self._head_cache

    def _run(self, ids: Sequence[Sequence[int]], params: list) -> list:
        """One engine call: token-id prompts with their own sampling parameters, outputs in order."""
        from vllm.inputs import TokensPrompt

        prompts = [TokensPrompt(prompt_token_ids=list(row)) for row in ids]
        return self.llm.generate(prompts, params, use_tqdm=False)

    def fingerprint(self) -> str:
        """sha256 of the weight files' names, sizes and first MiB (a local folder), else of the name."""
        digest = hashlib.sha256(self.path.encode())
        folder = Path(self.path)
        for file in sorted(folder.glob("*.safetensors")) if folder.is_dir() else []:
            digest.update(f"{file.name} {file.stat().st_size}\0".encode())
            with open(file, "rb") as handle:
                digest.update(handle.read(1 << 20))
        return digest.hexdigest()

    def _steering(self, extra: dict, prompt_length: int, max_new_tokens: int) -> dict:
        """`extra` plus the active steering in vllm-lens' form, for one request.

        Adding at every position is a vllm-lens steering vector. The other modes and ``"after_prompt"``
        are a vllm-lens hook (:class:`_Steer`); for ``"after_prompt"`` it lets the request's first
        pass through the block (the prompt: vllm-lens bypasses the prefix cache for hooked requests,
        so it is one whole prefill) go by and steers every later pass (one generated token each).
        vllm-lens' own position-specific vectors cannot do it here: version 1.3.0 looks up
        ``seq_lens`` on the per-layer dict that vLLM 0.32 passes as attention metadata, so it counts
        every decoding step from position 0.
        """
        from vllm_lens import Hook, SteeringVector

        vectors, hooks = [], []
        # vllm-lens applies its steering vectors before its hooks: once one push needs a hook, all
        # go through hooks, so they apply in the order given, as on a TransformerBridge.
        plain = all(push.mode == "add" and push.positions == "all" for push in self.pushes)
        for push in self.pushes:
            direction = push.direction.to(self.cfg.dtype)
            after_prompt = push.positions == "after_prompt"
            if plain:
                vectors.append(
                    SteeringVector(activations=direction[None], layer_indices=[push.layer], scale=push.scale)
                )
                continue
            if after_prompt:
                self._check_one_prefill(prompt_length)
            steer = _Steer(direction, push.scale, push.mode, after_prompt)
            hooks.append(Hook(fn=steer, layer_indices=[push.layer]))
        added = {"apply_steering_vectors": vectors} if vectors else {}
        hooks = extra.get("apply_hooks", []) + hooks  # the caller's first: their results are "0", ...
        return {**extra, **added, **({"apply_hooks": hooks} if hooks else {})}

    def _check_one_prefill(self, prompt_length: int) -> None:
        budget = self.llm.llm_engine.vllm_config.scheduler_config.max_num_batched_tokens
        if prompt_length > budget:
            raise BackendError(
                f"positions='after_prompt' needs each prompt in one prefill step: a prompt of "
                f"{prompt_length} "
                f"tokens exceeds max_num_batched_tokens={budget}; raise it when loading the model"
            )


class _KeepLast:
    """A vllm-lens hook: the last prompt token's residual stream at each block, from the first pass."""

    def __call__(self, context, hidden: Float[Tensor, "seq d_model"]) -> None:
        context.saved.setdefault(str(context.layer_idx), hidden[-1].detach().to("cpu", copy=True))


class _Steer:
    """A vllm-lens hook (one block, one request) for what its steering vectors do not do: the modes
    that project the direction out, and ``after_prompt``, where the first pass (the prompt) goes by."""

    def __init__(self, direction: Float[Tensor, " d_model"], scale: float, mode: str, after_prompt: bool):
        self.direction, self.scale, self.mode, self.after_prompt = direction, scale, mode, after_prompt

    def __call__(self, context, hidden: Float[Tensor, "seq d_model"]) -> Tensor | None:
        if self.after_prompt and not context.saved.get("prompt_seen"):
            context.saved["prompt_seen"] = True
            return None
        direction = self.direction.to(hidden.device, hidden.dtype)
        if self.mode != "add":  # x - (x . u) u
            unit = direction / direction.norm()
            hidden = hidden - (hidden @ unit)[:, None] * unit
        return hidden if self.mode == "project" else hidden + self.scale * direction


def steered_block(hook: str) -> int:
    """The block whose output `hook` is (``blocks.L.hook_resid_post`` -> L, ``resid_pre`` -> L - 1)."""
    match = HOOK_PATTERN.match(hook)
    site = match and match.group(2)
    layer = int(match.group(1)) - (site == "resid_pre") if match else -1
    if site not in ("resid_post", "resid_pre") or layer < 0:
        raise unsupported(f"steering at {hook} (the vLLM backend steers block outputs)")
    return layer


@contextmanager
def served_steering(model: VLLMModel, vectors, multipliers: list[float], mode: str, positions) -> Iterator:
    """:func:`hooks.steer` on a vLLM engine: the vectors ride along with every request in the block.

    vllm-lens adds a vector to the output of block L, i.e. at ``blocks.L.hook_resid_post``
    (``blocks.L.hook_resid_pre`` is block L-1's output).
    """
    if not (isinstance(positions, str) and positions in ("all", "after_prompt")):
        raise unsupported(f"steering from position {positions!r} (the vLLM backend: 'all' or 'after_prompt')")
    pushes = []
    for vector, multiplier in zip(vectors, multipliers):
        direction = vector.direction.detach().to("cpu", torch.float32)
        pushes.append(_Push(steered_block(vector.hook), direction, float(multiplier), positions, mode))
    model.pushes.extend(pushes)
    try:
        yield
    finally:
        del model.pushes[len(model.pushes) - len(pushes) :]


def _final_norm_and_unembedding(path: str) -> tuple[torch.nn.Module, Float[Tensor, "vocab d_model"]]:
    """The model's final norm (its own module class, float32) and its unembedding matrix, from `path`."""
    import json

    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM

    folder = Path(path)
    if not folder.is_dir():
        from huggingface_hub import snapshot_download

        folder = Path(
            snapshot_download(path, allow_patterns=["*.json", "*.safetensors"], local_files_only=True)
        )
    config = AutoConfig.from_pretrained(folder)
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(config)
    norm = getattr(skeleton.base_model, "norm", None)
    if norm is None:
        raise unsupported(f"the logit lens on {type(skeleton).__name__} (no final norm at base_model.norm)")
    prefix = skeleton.base_model_prefix
    index = folder / "model.safetensors.index.json"
    where = json.loads(index.read_text())["weight_map"] if index.exists() else {}
    wanted = {f"{prefix}.norm.{name}" for name, _ in norm.named_parameters()}
    unembed_key = f"{prefix}.embed_tokens.weight" if config.tie_word_embeddings else "lm_head.weight"
    tensors = {}
    for key in [*wanted, unembed_key]:
        with safe_open(str(folder / where.get(key, "model.safetensors")), framework="pt") as handle:
            tensors[key] = handle.get_tensor(key).float()
    norm = norm.to_empty(device="cpu").float()
    norm.load_state_dict({key.removeprefix(f"{prefix}.norm."): tensors[key] for key in wanted})
    return norm.eval(), tensors[unembed_key]


def _bridge_tokenizer(tokenizer):
    """`tokenizer` with TransformerBridge's convention (BOS prepended where the model has one), so a
    prompt is the same tokens on both backends."""
    from transformer_lens.utilities.tokenize_utils import get_tokenizer_with_bos

    return get_tokenizer_with_bos(tokenizer)
