"""Speed and memory of activation extraction, side by side with the usual ways to get activations.

On the same length-sorted, left-padded batches (with attention masks), after a warm-up, it times:

- ``hf_forward``: the plain Hugging Face forward pass that computes logits (default sdpa
  attention) - the baseline every ratio is relative to;
- ``hf_forward_eager``: the same with eager attention, which TransformerBridge uses;
- ``run_with_cache``: TransformerLens ``run_with_cache`` with a names filter on the same hooks;
- ``hf_hidden_states``: Hugging Face ``output_hidden_states=True``;
- ``extract_all``: ``hooks.extract_activations`` at every layer, last token;
- ``extract_mid``: the same up to the middle layer L (expected cost ~ (L+1)/n_layers of all layers).

Every round runs each method once, in a rotated order; a ratio is computed within each round and
the median over rounds is reported. Peak memory per method comes from a fresh child process after
a warm-up run: on CPU the peak RSS of a second run above the RSS before it (Linux VmHWM, reset
through /proc/self/clear_refs), on CUDA ``torch.cuda.max_memory_allocated``. Finally two child
processes stream N1 and N2 short prompts to disk (all layers, shards of 256) and compare their
peak RSS.

Run:
    python benchmarks/extraction.py --out results/extraction
    python benchmarks/extraction.py --device cuda --dtype bfloat16 --model Qwen/Qwen2.5-1.5B-Instruct
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import load, model_parser, parse, torch_dtype, write_results


def parse_args() -> argparse.Namespace:
    parser = model_parser(__doc__)
    parser.add_argument("--n-prompts", type=int, default=128, help="prompts timed per method")
    parser.add_argument(
        "--batch-size", type=int, default=16, help="prompts per forward pass (default: %(default)s)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds of timing (median ratio reported)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/extraction"),
        help="folder for results.json (default: %(default)s)",
    )
    parser.add_argument(
        "--stream-check",
        default="500,5000",
        type=lambda s: [int(x) for x in s.split(",")],
        help="prompt counts streamed to disk to compare peak memory (default: %(default)s)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the per-method peak-memory runs")
    parser.add_argument("--skip-stream", action="store_true", help="skip the streaming memory check")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--stream-probe", type=int, help=argparse.SUPPRESS)
    return parse(parser)


if __name__ == "__main__":
    parse_args()  # --help and an unusable --device answer here, before the slow imports below

import numpy as np
import torch

import probes
from hooks import extract_activations, hook_name
from hooks.tokens import encode, left_pad, pad_id_of

CITIES = [
    ("Paris", "France"),
    ("Tokyo", "Japan"),
    ("Cairo", "Egypt"),
    ("Lima", "Peru"),
    ("Rome", "Italy"),
    ("Toronto", "Canada"),
    ("Nairobi", "Kenya"),
    ("Oslo", "Norway"),
]
FILLER = "Rivers carry water from the mountains to the sea, and cities grow along their banks. "


def make_prompts(model, n: int, seed: int = 0, short: bool = False) -> list[str]:
    """Deterministic prompts of varied lengths: chat-wrapped statements and longer passages
    (`short`: bare statements only, ~10 tokens)."""
    rng = np.random.default_rng(seed)
    prompts = []
    for i in range(n):
        city, country = CITIES[i % len(CITIES)]
        statement = f"The city of {city} is in {country}."
        if short:
            prompts.append(f"{statement} ({i})")
        elif i % 3 == 0:
            prompts.append(
                probes.chat_prompt(model, f"Is this true? {statement}", assistant_prefix="Answer:")
            )
        else:
            prompts.append(statement + " " + FILLER * int(rng.integers(0, 7)))
    return prompts


def make_batches(
    model, prompts: list[str], batch_size: int, device
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The batches extract_activations forms: sorted by length (longest first), left-padded."""
    encoded = encode(model.tokenizer, prompts)
    order = np.argsort([-n for n in encoded.lengths], kind="stable")
    pad = pad_id_of(model.tokenizer)
    return [
        left_pad([encoded.ids[i] for i in order[b : b + batch_size]], pad, device)
        for b in range(0, len(order), batch_size)
    ]


def load_plain_hf(name: str, dtype: torch.dtype, device, attn: str):
    from transformers import AutoModelForCausalLM

    source = (
        probes.cache_dir() / "SmolLM2-135M-Instruct-f32" if name in probes.models.DEFAULT_ALIASES else name
    )
    return (
        AutoModelForCausalLM.from_pretrained(source, dtype=dtype, attn_implementation=attn).to(device).eval()
    )


def build_methods(args, model, prompts, batches) -> dict:
    """name -> zero-argument callable that runs that method over all prompts once."""
    n_layers = model.cfg.n_layers
    names = [hook_name(layer) for layer in range(n_layers)]
    mid = n_layers // 2
    device = torch.device(args.device)
    hf_sdpa = load_plain_hf(args.model, torch_dtype(args.dtype), device, "sdpa")
    hf_eager = load_plain_hf(args.model, torch_dtype(args.dtype), device, "eager")

    def over_batches(fn):
        def run():
            with torch.no_grad():
                for tokens, mask in batches:
                    fn(tokens, mask)

        return run

    extract = dict(batch_size=args.batch_size, position="last", progress=False)
    return {
        "hf_forward": over_batches(lambda t, m: hf_sdpa(input_ids=t, attention_mask=m)),
        "hf_forward_eager": over_batches(lambda t, m: hf_eager(input_ids=t, attention_mask=m)),
        "run_with_cache": over_batches(
            lambda t, m: model.run_with_cache(t, attention_mask=m, names_filter=names)
        ),
        "hf_hidden_states": over_batches(
            lambda t, m: hf_sdpa(input_ids=t, attention_mask=m, output_hidden_states=True)
        ),
        "extract_all": lambda: extract_activations(model, prompts, layers=range(n_layers), **extract),
        "extract_mid": lambda: extract_activations(model, prompts, layers=range(mid + 1), **extract),
    }


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_methods(methods: dict, repeats: int, device: str) -> dict:
    """Median seconds and median per-round ratio to hf_forward, in rotated interleaved rounds."""
    for run in methods.values():  # warm-up
        run()
    names = list(methods)
    seconds = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            sync(device)
            start = time.perf_counter()
            methods[name]()
            sync(device)
            seconds[name].append(time.perf_counter() - start)
    base = seconds["hf_forward"]
    return {
        name: {
            "median_s": statistics.median(times),
            "ratio_to_hf_forward": statistics.median(t / b for t, b in zip(times, base)),
        }
        for name, times in seconds.items()
    }


def reset_peak_rss() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    """Peak resident memory since the last reset, from /proc/self/status (VmHWM, kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status; peak RSS needs Linux")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status; RSS needs Linux")


def child(args: argparse.Namespace) -> dict:
    """Runs in a fresh process: one method's peak memory, or one streaming run."""
    model = load(args)
    if args.stream_probe:
        prompts = make_prompts(model, args.stream_probe, short=True)
        extract_activations(model, prompts[:32], layers=None, progress=False)  # pages the weights in
        reset_peak_rss()
        before = rss_mib()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            extract_activations(
                model,
                prompts,
                layers=None,
                batch_size=args.batch_size,
                out_dir=tmp,
                shard_size=256,
                progress=False,
            )
        return {
            "peak_rss_mib": peak_rss_mib(),
            "rss_before_mib": before,
            "seconds": time.perf_counter() - start,
        }
    prompts = make_prompts(model, args.n_prompts)
    batches = make_batches(model, prompts, args.batch_size, args.device)
    run = build_methods(args, model, prompts, batches)[args.memory_probe]
    run()  # warm-up: pages memory-mapped weights in, so the peak below is the method's own
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        run()
        return {"peak_mib": (torch.cuda.max_memory_allocated() - base) / 2**20, "kind": "cuda allocated"}
    reset_peak_rss()
    before = rss_mib()
    run()
    return {"peak_mib": peak_rss_mib() - before, "kind": "cpu peak RSS above the loaded state"}


def run_child(args: argparse.Namespace, flag: str, value) -> dict:
    command = [
        sys.executable,
        __file__,
        "--model",
        args.model,
        "--device",
        args.device,
        "--dtype",
        args.dtype,
        "--n-prompts",
        str(args.n_prompts),
        "--batch-size",
        str(args.batch_size),
        flag,
        str(value),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.memory_probe or args.stream_probe:
        print(json.dumps(child(args)))
        return
    model = load(args)
    prompts = make_prompts(model, args.n_prompts)
    lengths = encode(model.tokenizer, prompts).lengths
    batches = make_batches(model, prompts, args.batch_size, args.device)
    methods = build_methods(args, model, prompts, batches)
    timing = time_methods(methods, args.repeats, args.device)
    n_layers, mid = model.cfg.n_layers, model.cfg.n_layers // 2
    memory = {} if args.skip_memory else {name: run_child(args, "--memory-probe", name) for name in methods}
    stream = {} if args.skip_stream else {n: run_child(args, "--stream-probe", n) for n in args.stream_check}
    results = {
        "benchmark": "extraction",
        "model": args.model,
        "device": args.device,
        "dtype": args.dtype,
        "device_name": torch.cuda.get_device_name()
        if args.device.startswith("cuda")
        else platform.processor(),
        "cpu_threads": torch.get_num_threads(),
        "n_prompts": args.n_prompts,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "n_layers": n_layers,
        "mid_layer": mid,
        "prompt_tokens": {
            "min": min(lengths),
            "median": statistics.median(lengths),
            "max": max(lengths),
            "total": sum(lengths),
        },
        "timing": timing,
        "extract_mid_expected_ratio": timing["extract_all"]["ratio_to_hf_forward"] * (mid + 1) / n_layers,
        "peak_memory": memory,
        "streaming": stream,
    }
    results["targets"] = targets(results, args)
    write_results(args.out, results)
    print_table(results)
    print(f"wrote {args.out / 'results.json'}")


def targets(results: dict, args) -> dict:
    ratio = results["timing"]["extract_all"]["ratio_to_hf_forward"]
    found = {"all_layer_ratio": ratio, "all_layer_ratio_target": 0.85, "all_layer_met": ratio <= 0.85}
    if results["streaming"]:
        small, large = (results["streaming"][n]["peak_rss_mib"] for n in args.stream_check)
        found.update(stream_peak_ratio=large / small, stream_target=1.10, stream_met=large / small <= 1.10)
    return found


def print_table(results: dict) -> None:
    print(
        f"\n{results['model']} on {results['device']} ({results['dtype']}), {results['n_prompts']} prompts, "
        f"tokens {results['prompt_tokens']}"
    )
    print(f"{'method':<18} {'median s':>9} {'x hf_forward':>13} {'peak MiB':>9}")
    for name, row in results["timing"].items():
        peak = results["peak_memory"].get(name, {}).get("peak_mib", float("nan"))
        print(f"{name:<18} {row['median_s']:>9.3f} {row['ratio_to_hf_forward']:>13.3f} {peak:>9.1f}")
    print(
        f"extract_mid expected ~{results['extract_mid_expected_ratio']:.3f} "
        f"((L+1)/n_layers x extract_all, L={results['mid_layer']})"
    )
    for n, row in results["streaming"].items():
        print(
            f"streaming {n:>6} prompts: peak RSS {row['peak_rss_mib']:.0f} MiB "
            f"(from {row['rss_before_mib']:.0f} MiB before), {row['seconds']:.1f} s"
        )
    print("targets:", json.dumps(results["targets"]))


if __name__ == "__main__":
    main()
