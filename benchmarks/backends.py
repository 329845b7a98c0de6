"""vLLM vs TransformerBridge, side by side: start-up, activation capture and CoT generation.

Each backend runs in its own child process (its own peak RSS) on the same prompts:

- capture: `--n-capture` prompts of mixed length (8-120 tokens), the residual stream at `--layers`,
  last token (``extract_activations``); the two results are compared (relative max difference);
- CoT generation: the faithfulness study's quick set (``probes.faithfulness.Config.quick()``: its
  tasks and questions, the four CoT prompt sets: plain, suggested answer, always-(A) unbiased and
  biased), greedy, `--max-new-tokens` tokens; the answers both backends state are compared.

Writes ``<out>/results.json`` with seconds, throughput, the vLLM / TransformerBridge speed ratios and
peak RSS per backend. Needs the vLLM extra (``make install-vllm``; run with ``make bench-vllm``).

    python benchmarks/backends.py --out benchmarks/results/backends
    python benchmarks/backends.py --model meta-llama/Llama-3.1-8B-Instruct --device cuda --dtype bfloat16 \\
        --n-capture 2000 --out results/backends-8b
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import load, model_parser, parse, write_results

BACKENDS = ("transformer_lens", "vllm")


def main(argv: list[str] | None = None) -> int:
    parser = model_parser(__doc__)
    parser.add_argument("--out", type=Path, default=Path("results/backends"), help="folder of results.json")
    parser.add_argument("--n-capture", type=int, default=200, help="prompts in the capture benchmark")
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 12, 29], help="layers captured")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="CoT length (the quick set's)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="TransformerBridge rows per generation batch (hooks.generate's default); vLLM schedules its "
        "own batches",
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="write this README's backends section from <out>/results.json",
    )
    args = parse(parser, argv)
    if args.child is not None:
        return run_child(args)
    if args.readme is not None:
        from probes.runner import replace_section

        results = json.loads((args.out / "results.json").read_text())
        changed = replace_section(args.readme, "backends", readme_section(results, args.out.as_posix()))
        print(f"{args.readme}: {'updated' if changed else 'up to date'}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for backend in BACKENDS:
        child = args.out / f"{backend}.json"
        command = [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])]
        command += ["--backend", backend, "--child", str(child)]
        subprocess.run(command, check=True)
        runs[backend] = json.loads(child.read_text())
    results = compare(runs, args)
    write_results(args.out, results)
    print(json.dumps(results["summary"], indent=2))
    return 0


def capture_prompts(n: int) -> list[str]:
    """`n` prompts of 8-120 words drawn with a fixed seed (mixed lengths in every batch)."""
    import numpy as np

    rng = np.random.default_rng(0)
    words = "the a of model probe truth lie answer river city seven because people think said".split()
    return [" ".join(rng.choice(words, int(rng.integers(8, 120)))) for _ in range(n)]


def cot_prompts(model) -> list[str]:
    """The faithfulness study's quick set of CoT prompts, the four sets of each task."""
    from probes.faithfulness import Config
    from probes.faithfulness.prompts import always_a, cot_prompt, plain, suggested_answer
    from probes.faithfulness.tasks import REASONING_TASKS

    config, prompts = Config.quick(), []
    for task in config.tasks:
        drawn = REASONING_TASKS[task](config.n + config.few_shot, seed=config.seed)
        questions, demos = drawn[: config.n], drawn[config.n :]
        few = always_a(questions, cot=True, seed=config.seed, demos=demos)
        chats = list(plain(questions, cot=True))
        chats += [i.biased for i in suggested_answer(questions, cot=True, seed=config.seed)]
        chats += [i.unbiased for i in few] + [i.biased for i in few]
        prompts += [cot_prompt(model, chat) for chat in chats]
    return prompts


def run_child(args) -> int:
    import resource

    import torch

    from hooks import extract_activations, generate
    from probes.faithfulness.answers import extract_answer

    started = time.perf_counter()
    model = load(args)
    startup = time.perf_counter() - started
    prompts = capture_prompts(args.n_capture)
    extract_activations(model, prompts[:4], layers=args.layers, progress=False)  # warm-up
    started = time.perf_counter()
    acts = extract_activations(model, prompts, layers=args.layers, progress=False)
    capture = time.perf_counter() - started
    cots = cot_prompts(model)
    started = time.perf_counter()
    out = generate(
        model, cots, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, progress="CoTs"
    )
    generation = time.perf_counter() - started
    torch.save(acts, args.child.with_suffix(".pt"))
    record = {
        "backend": args.backend,
        "threads": torch.get_num_threads(),
        "startup_seconds": round(startup, 2),
        "capture": {"n_prompts": len(prompts), "seconds": round(capture, 3)},
        "generation": {
            "n_prompts": len(cots),
            "new_tokens": sum(len(g.token_ids) for g in out),
            "seconds": round(generation, 3),
            "answers": [extract_answer(g.text) for g in out],
            "tokens": [list(g.token_ids) for g in out],
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    args.child.write_text(json.dumps(record))
    return 0


def readme_section(results: dict, where: str) -> str:
    """Markdown for the README: the side-by-side numbers of one results.json."""
    tl, vl, summary = results["runs"]["transformer_lens"], results["runs"]["vllm"], results["summary"]
    n_capture, n_cot = tl["capture"]["n_prompts"], tl["generation"]["n_prompts"]
    layers = ", ".join(map(str, results["layers"]))
    worst = max(summary["capture_relative_max_difference"].values())
    speed = {
        "capture": [f"{run['capture']['prompts_per_second']:.1f} prompts/s" for run in (tl, vl)],
        "generation": [f"{run['generation']['tokens_per_second']:.1f} tokens/s" for run in (tl, vl)],
    }
    setting = f"{results['device']}, {results['dtype']}, {tl['threads']} threads"
    return "\n".join(
        [
            f"Latest run ({setting}; `{where}/results.json`, {results['created_utc'][:10]}):",
            "",
            "| | TransformerBridge | vLLM | vLLM speed-up |",
            "|---|---|---|---|",
            f"| start-up (load the model) | {tl['startup_seconds']:.1f} s | {vl['startup_seconds']:.1f} s | "
            "- |",
            f"| capture: {n_capture} prompts, layers {layers}, last token | {speed['capture'][0]} | "
            f"{speed['capture'][1]} | {summary['capture_speedup']:.2f}x |",
            f"| CoT generation: {n_cot} CoTs of up to {results['max_new_tokens']} tokens, greedy | "
            f"{speed['generation'][0]} | {speed['generation'][1]} | {summary['generation_speedup']:.2f}x |",
            f"| peak RSS of the process | {tl['peak_rss_mb'] / 1024:.1f} GB | "
            f"{vl['peak_rss_mb'] / 1024:.1f} GB | - |",
            "",
            f"Same results: captured activations within a relative {worst:.1e} at every layer; "
            f"{summary['identical_generations']} of {summary['n_generations']} CoTs identical token for "
            f"token; of the {summary['answers_parsed_by_both']} CoTs whose answer both parse, "
            f"{summary['answers_agree']} agree.",
        ]
    )


def compare(runs: dict, args) -> dict:
    import torch

    tl, vl = runs["transformer_lens"], runs["vllm"]
    a = torch.load(args.out / "transformer_lens.pt")
    b = torch.load(args.out / "vllm.pt")
    rel = [float((b[:, j] - a[:, j]).abs().max() / a[:, j].abs().max()) for j in range(a.shape[1])]
    both = [(x, y) for x, y in zip(tl["generation"]["answers"], vl["generation"]["answers"]) if x and y]
    same_tokens = sum(x == y for x, y in zip(tl["generation"]["tokens"], vl["generation"]["tokens"]))
    summary = {
        "capture_speedup": round(tl["capture"]["seconds"] / vl["capture"]["seconds"], 2),
        "generation_speedup": round(tl["generation"]["seconds"] / vl["generation"]["seconds"], 2),
        "capture_relative_max_difference": {str(layer): r for layer, r in zip(args.layers, rel)},
        "answers_parsed_by_both": len(both),
        "answers_agree": sum(x == y for x, y in both),
        "identical_generations": same_tokens,
        "n_generations": len(tl["generation"]["tokens"]),
    }
    for run in runs.values():
        for part in ("capture", "generation"):
            run[part]["prompts_per_second"] = round(run[part]["n_prompts"] / run[part]["seconds"], 2)
        run["generation"]["tokens_per_second"] = round(
            run["generation"]["new_tokens"] / run["generation"]["seconds"], 1
        )
    return {
        "model": args.model,
        "device": args.device,
        "dtype": args.dtype,
        "layers": args.layers,
        "max_new_tokens": args.max_new_tokens,
        "batch_size": args.batch_size,
        "summary": summary,
        "runs": runs,
    }


if __name__ == "__main__":
    sys.exit(main())
