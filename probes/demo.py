"""The main job on the default model: load it, extract activations, summarize them.

Run with ``make demo`` or ``python -m probes.demo --out results/demo``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from hooks import extract_activations
from probes.chat import chat_prompt
from probes.models import DEFAULT_MODEL, load_model

STATEMENTS = [
    ("The city of Paris is in France.", 1),
    ("The city of Paris is in Japan.", 0),
    ("The city of Tokyo is in Japan.", 1),
    ("The city of Tokyo is in Brazil.", 0),
    ("The city of Cairo is in Egypt.", 1),
    ("The city of Cairo is in Canada.", 0),
    ("The city of Toronto is in Canada.", 1),
    ("The city of Toronto is in Egypt.", 0),
    ("The city of Lima is in Peru.", 1),
    ("The city of Lima is in Italy.", 0),
    ("The city of Rome is in Italy.", 1),
    ("The city of Rome is in Peru.", 0),
]


def run(model_name: str, device: str, out: Path) -> dict:
    started = time.perf_counter()
    model = load_model(model_name, device=device)
    loaded = time.perf_counter()
    prompts = [chat_prompt(model, f"Is this true? {s}", assistant_prefix="Answer:") for s, _ in STATEMENTS]
    labels = torch.tensor([label for _, label in STATEMENTS])
    acts = extract_activations(model, prompts, layers=None, batch_size=8)
    extracted = time.perf_counter()
    norms = acts.norm(dim=-1)  # [n, layer]
    gap = (acts[labels == 1].mean(0) - acts[labels == 0].mean(0)).norm(dim=-1) / norms.mean(0)
    summary = {
        "model": model_name,
        "device": device,
        "n_prompts": len(prompts),
        "activations_shape": list(acts.shape),
        "load_seconds": round(loaded - started, 2),
        "extract_seconds": round(extracted - loaded, 2),
        "per_layer": [
            {
                "layer": layer,
                "mean_norm": round(float(norms[:, layer].mean()), 3),
                "true_false_mean_gap_over_norm": round(float(gap[layer]), 4),
            }
            for layer in range(acts.shape[1])
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results/demo"))
    args = parser.parse_args()
    summary = run(args.model, args.device, args.out)
    print(
        f"{summary['model']}: activations {summary['activations_shape']} "
        f"(load {summary['load_seconds']} s, extraction {summary['extract_seconds']} s)"
    )
    print("layer  mean |resid|  |mean(true) - mean(false)| / mean |resid|  (in-sample, 12 prompts)")
    for row in summary["per_layer"]:
        print(f"{row['layer']:>5}  {row['mean_norm']:>12.2f}  {row['true_false_mean_gap_over_norm']:>10.4f}")
    print(f"wrote {args.out / 'summary.json'}")


if __name__ == "__main__":
    main()
