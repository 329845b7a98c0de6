"""Chain-of-thought faithfulness: behavioural tests and internal signals against the verbalized reasoning.

On generated four-option questions (arithmetic word problems, population comparisons, date puzzles;
--n per task) the model reasons (greedy, "Let's think step by step.", up to --max-new-tokens) and
every answer is forced with the cue "\\nThe answer is (" (the same cue after every edit). Measured:

1. Lanham et al. (2023) on the plain CoTs: early answering, adding a mistake, filler tokens,
   paraphrasing (curves, area over the curve raw and corrected for the letter prior, bootstrap CIs).
2. Turpin et al. (2023) biases, with and without CoT: a suggested wrong answer, and "always (A)"
   few-shot (--few-shot solved examples): accuracy drop, bias-following, changes to the target,
   one-sided t-test, verbalization rate (keyword judge), Chen et al.'s normalized faithfulness; on
   forced final answers and on the answers the CoT text states (unparseable ones counted).
3. Internal vs verbalized: a probe predicting the final answer from the last prompt token (before
   any reasoning), per layer (out-of-fold, shuffled-label control); the logit lens there; probe, lens
   and forced answer read at every sentence end, and where each settles on the final answer compared
   with where the text first states it; the bias's unverbalized influence on p(target) before the
   CoT; steering along a per-letter answer direction (flip rate against a random direction of the
   same norm, and whether the CoT then states the steered answer).
4. Cost: forced answers after every sentence with the shared prefix against a full forward per
   truncation, side by side, with their largest difference.

Writes results.json (after every task, then complete), report.md (tables) and faithfulness.png to
--out; --report-only redraws the last two from a results.json.

Usage:
    python benchmarks/faithfulness.py --out results/faithfulness
    python benchmarks/faithfulness.py --quick --out results/faithfulness_quick
    python benchmarks/faithfulness.py --device cuda --model Qwen/Qwen2.5-1.5B-Instruct --out results/qwen
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import model_parser
from common import parse as parse_command_line

from probes.faithfulness.tasks import REASONING_TASKS


def parse() -> argparse.Namespace:
    parser = model_parser(__doc__)
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=list(REASONING_TASKS),
        choices=list(REASONING_TASKS),
        help="reasoning task sets to run (default: all)",
    )
    parser.add_argument("--n", type=int, default=100, help="questions per task")
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=80,
        help="longest chain of thought generated (default: %(default)s)",
    )
    parser.add_argument("--few-shot", type=int, default=3, help="solved examples in the always-(A) context")
    parser.add_argument("--mistake-positions", type=int, default=2, help="mistakes tried per CoT")
    parser.add_argument("--mistake-tokens", type=int, default=48, help="tokens generated after a mistake")
    parser.add_argument("--n-causal", type=int, default=50, help="questions per task for the steering check")
    parser.add_argument(
        "--steer-multiplier",
        type=float,
        default=8.0,
        help="multiplier of the answer direction in the steering check (default: %(default)s)",
    )
    parser.add_argument("--batch-size", type=int, default=48, help="rows per generation batch")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the questions and solved examples (default: %(default)s)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="12 questions per task, short CoTs, 2 solved examples (demo, ~10 min)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/faithfulness"),
        help="folder for results.json, report.md and the plot (default: %(default)s)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="redraw the plot and report.md from --out/results.json"
    )
    args = parse_command_line(parser)
    if args.quick:
        args.n, args.max_new_tokens, args.mistake_tokens, args.n_causal, args.few_shot = 12, 48, 24, 12, 2
    return args


if __name__ == "__main__":
    parse()  # --help and an unusable --device answer here, before the slow imports below

import json
import statistics
import time

import numpy as np
import torch
from common import load, write_results

from hooks import steer
from hooks.forced import cot_context, forced_answers, forced_answers_naive
from hooks.generation import generate
from hooks.names import hook_name
from hooks.tokens import encode
from probes import SteeringVector
from probes.chat import chat_prompt
from probes.faithfulness.answers import chance_corrected, extract_answer, extract_answers
from probes.faithfulness.biased_context import BiasRecord, bias_metrics, keyword_judge
from probes.faithfulness.internal import (
    answer_directions,
    answer_probe_sweep,
    out_of_fold_answers,
    settle_report,
    unverbalized_influence,
)
from probes.faithfulness.lanham import (
    CUE,
    adding_mistakes,
    early_answering,
    filler_tokens,
    paraphrasing,
    sentence_ends,
)
from probes.faithfulness.prompts import ANSWER_CUE, always_a, cot_prompt, plain, suggested_answer
from probes.stats import mean_ci

LETTERS = "ABCD"


def letters_of(logprobs: torch.Tensor) -> list[str]:
    return [LETTERS[int(j)] for j in logprobs.argmax(-1)]


def direct_answers(model, message_sets) -> list[list[str]]:
    """No-CoT answers (the letter after "The answer is (" opening the reply), per list of chats.

    Each list is one call, so the solved examples a list's chats share are computed once.
    """
    out = []
    for messages in message_sets:
        contexts = encode(model.tokenizer, [chat_prompt(model, list(m)) for m in messages]).ids
        forced = forced_answers(
            model, contexts, [[len(c)] for c in contexts], cue=ANSWER_CUE, letters=LETTERS, progress=False
        )
        out.append([a[0] for a in forced.answers()])
    return out


def p_letter(logprobs: torch.Tensor, letter: str) -> float:
    """Probability of `letter`, normalized over the answer letters."""
    return float(logprobs.softmax(-1)[LETTERS.index(letter)])


def bias_study(name, items, cots, early_unbiased, early_biased, no_cot, args) -> dict:
    """Turpin / Chen metrics on forced and on stated answers, and the unverbalized influence."""
    unbiased_cot, biased_cot = cots
    stated_u, bad_u = extract_answers(unbiased_cot, LETTERS)
    stated_b, bad_b = extract_answers(biased_cot, LETTERS)
    out = {"n_items": len(items), "unparseable_stated": {"unbiased": bad_u, "biased": bad_b}}
    for kind, (ans_u, ans_b) in {
        "forced": (early_unbiased["final"], early_biased["final"]),
        "stated": (stated_u, stated_b),
    }.items():
        records = [
            BiasRecord(
                it.id,
                gold=it.gold,
                target=it.target,
                unbiased=u,
                biased=b,
                unbiased_no_cot=nu,
                biased_no_cot=nb,
                cot=c,
                n_options=len(it.letters),
            )
            for it, u, b, nu, nb, c in zip(items, ans_u, ans_b, no_cot[0], no_cot[1], biased_cot)
        ]
        out[kind] = bias_metrics(records, seed=args.seed)
    targets = [it.target for it in items]
    out["unverbalized_influence"] = unverbalized_influence(
        [p_letter(f[0], t) for f, t in zip(early_unbiased["forced"].logprobs, targets)],
        [p_letter(f[0], t) for f, t in zip(early_biased["forced"].logprobs, targets)],
        [b == t and u != t for u, b, t in zip(early_unbiased["final"], early_biased["final"], targets)],
        [
            keyword_judge(BiasRecord(it.id, gold=it.gold, target=it.target, cot=c))
            for it, c in zip(items, biased_cot)
        ],
    )
    out["examples"] = [
        {"id": it.id, "gold": it.gold, "target": it.target, "biased_cot": c, "forced": f}
        for it, c, f in list(zip(items, biased_cot, early_biased["final"]))[:3]
    ]
    print(f"  {name}: bias-following (forced) {out['forced']['cot']['bias_following']['mean']:.3f}")
    return out


def run_task(model, task: str, args) -> tuple[dict, dict]:
    drawn = REASONING_TASKS[task](args.n + args.few_shot, seed=args.seed)
    questions, demos = drawn[: args.n], drawn[args.n :]  # one fixed set of solved examples per task
    plain_cot, plain_direct = plain(questions, cot=True), plain(questions, cot=False)
    sug = suggested_answer(questions, cot=True, seed=args.seed)
    sug_direct = suggested_answer(questions, cot=False, seed=args.seed)
    few = always_a(questions, cot=True, seed=args.seed, demos=demos)
    few_direct = always_a(questions, cot=False, seed=args.seed, demos=demos)
    gold = [q.gold for q in questions]

    no_cot = direct_answers(
        model,
        [
            plain_direct,
            [i.biased for i in sug_direct],
            [i.unbiased for i in few_direct],
            [i.biased for i in few_direct],
        ],
    )
    chats = {
        "plain": list(plain_cot),
        "suggested": [i.biased for i in sug],
        "few_unbiased": [i.unbiased for i in few],
        "few_biased": [i.biased for i in few],
    }
    prompts = {k: [cot_prompt(model, m) for m in v] for k, v in chats.items()}
    t0 = time.perf_counter()
    generations, cots = [], {}
    for key, v in prompts.items():  # one call per set: a set's few-shot examples are prefilled once
        out = generate(
            model, v, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, progress=False
        )
        generations += out
        cots[key] = [g.text for g in out]
    gen_seconds = time.perf_counter() - t0
    stopped = [g.stopped for g in generations]

    n_layers = model.cfg.n_layers
    early = early_answering(
        model, prompts["plain"], cots["plain"], layers=range(n_layers), lens=True, progress=False
    )
    early_other = {
        key: early_answering(model, prompts[key], cots[key], progress=False)
        for key in ("suggested", "few_unbiased", "few_biased")
    }
    final = early["final"]
    stated, unparseable = extract_answers(cots["plain"], LETTERS)
    res: dict = {
        "n_questions": len(questions),
        "generation": {
            "n": len(generations),
            "seconds": gen_seconds,
            "stopped_at_eos": float(np.mean(stopped)),
            "mean_new_tokens": float(np.mean([len(g.token_ids) for g in generations])),
        },
        "accuracy": {
            "no_cot": float(np.mean([a == g for a, g in zip(no_cot[0], gold)])),
            "cot_forced": float(np.mean([a == g for a, g in zip(final, gold)])),
            "cot_stated": float(np.mean([a == g for a, g in zip(stated, gold)])),
            "stated_unparseable": unparseable,
            "stated_agrees_with_forced": float(
                np.mean([s == f for s, f in zip(stated, final) if s is not None])
                if unparseable < len(stated)
                else 0
            ),
            "no_cot_agrees_with_cot": chance_corrected(no_cot[0], final),
        },
        "letter_distribution": {
            "gold": {x: gold.count(x) for x in LETTERS},
            "cot_forced": {x: final.count(x) for x in LETTERS},
            "no_cot": {x: no_cot[0].count(x) for x in LETTERS},
        },
    }
    print(
        f"[{task}] accuracy no-CoT {res['accuracy']['no_cot']:.2f}, CoT {res['accuracy']['cot_forced']:.2f}"
    )

    lanham = {
        "early_answering": {
            "curve": early["curve"],
            "ci": early["ci"],
            "mean_sentences": float(np.mean(early["n_sentences"])),
        }
    }
    lanham["adding_mistakes"] = adding_mistakes(
        model,
        prompts["plain"],
        cots["plain"],
        final,
        max_positions=args.mistake_positions,
        max_new_tokens=args.mistake_tokens,
        seed=args.seed,
        batch_size=args.batch_size,
        progress=False,
    )
    filler = filler_tokens(model, prompts["plain"], cots["plain"], gold, no_cot[0], progress=False)
    filler.pop("answers")
    lanham["filler_tokens"] = filler
    lanham["paraphrasing"] = paraphrasing(
        model, prompts["plain"], cots["plain"], early["forced"].answers(), progress=False
    )
    res["lanham"] = lanham

    res["biased_context"] = {
        "suggested_answer": bias_study(
            "suggested answer",
            sug,
            (cots["plain"], cots["suggested"]),
            early,
            early_other["suggested"],
            (no_cot[0], no_cot[1]),
            args,
        ),
        "always_a": bias_study(
            "always (A)",
            few,
            (cots["few_unbiased"], cots["few_biased"]),
            early_other["few_unbiased"],
            early_other["few_biased"],
            (no_cot[2], no_cot[3]),
            args,
        ),
    }
    res["examples"] = [
        {"question": q.render(), "gold": q.gold, "cot": c, "forced_final": f}
        for q, c, f in list(zip(questions, cots["plain"], final))[:3]
    ]
    text_readout = []
    for cot in cots["plain"]:
        ends = sentence_ends(cot)
        text_readout.append([None] + [extract_answer(cot[:e], LETTERS) for e in ends])
    keep = {
        "task": [task] * len(questions),
        "prompts": prompts["plain"],
        "cots": cots["plain"],
        "final": final,
        "stated": stated,
        "gold": gold,
        "states": early["forced"].states,
        "lens": early["forced"].lens,
        "forced": early["forced"].answers(),
        "text_readout": text_readout,
    }
    return res, keep


def internal_study(model, pooled: dict, args) -> dict:
    """Pre-CoT probe, logit lens, read-outs along the CoT; returns results and the best layer."""
    final = pooled["final"]
    pre = np.stack([s[0].numpy() for s in pooled["states"]])  # [n, layer, d]: the last prompt token
    sweep = answer_probe_sweep(pre, final, seed=args.seed)
    per_task = {}
    for task in dict.fromkeys(pooled["task"]):
        idx = [i for i, t in enumerate(pooled["task"]) if t == task]
        try:
            s = answer_probe_sweep(
                pre[idx], [final[i] for i in idx], layers=[sweep["best_layer"]], seed=args.seed
            )
            per_task[task] = {
                "auroc": s["auroc"][0],
                "auroc_ci": s["auroc_ci"][0],
                "control": s["control_auroc"][0],
            }
        except ValueError as error:  # a task whose final answers are almost all one letter
            per_task[task] = {"skipped": str(error)}
    lens_pre = np.stack([lens[0].numpy() for lens in pooled["lens"]])  # [n, layer, letter]
    lens_accuracy = [
        float(np.mean([LETTERS[j] == f for j, f in zip(lens_pre[:, layer].argmax(-1), final)]))
        for layer in range(lens_pre.shape[1])
    ]
    best = sweep["best_layer"]
    layer_index = list(sweep["layers"]).index(best)
    along = out_of_fold_answers([s[:, layer_index].numpy() for s in pooled["states"]], final, seed=args.seed)
    lens_along = [[LETTERS[int(j)] for j in lens[:, best].argmax(-1)] for lens in pooled["lens"]]
    readouts = {
        "probe": along,
        f"lens_L{best}": lens_along,
        "forced": pooled["forced"],
        "text": pooled["text_readout"],
    }
    return {
        "precot_probe": sweep,
        "precot_probe_per_task": per_task,
        "precot_lens_accuracy": lens_accuracy,
        "settle": settle_report(readouts, final),
    }, pre


def causal_study(model, pooled: dict, pre: np.ndarray, layer: int, args) -> dict:
    """Steer along a per-letter answer direction toward another letter; flip rate and rationalization."""
    final = pooled["final"]
    directions = answer_directions(pre[:, layer], final)
    rng = np.random.default_rng(args.seed)
    chosen = []
    for task in dict.fromkeys(pooled["task"]):
        idx = [i for i, t in enumerate(pooled["task"]) if t == task][: args.n_causal]
        chosen += idx
    targets = {}
    for i in chosen:
        options = [x for x in directions if x != final[i]]
        if options:
            targets[i] = options[int(rng.integers(len(options)))]
    hook = hook_name(layer)
    out = {
        "layer": layer,
        "multiplier": args.steer_multiplier,
        "n_items": len(targets),
        "direction_norms": {x: float(np.linalg.norm(d)) for x, d in directions.items()},
        "mean_state_norm": float(np.linalg.norm(pre[:, layer], axis=-1).mean()),
    }
    for kind in ("answer_direction", "random_direction"):
        steered_final, steered_text = {}, {}
        for letter in directions:
            idx = [i for i, t in targets.items() if t == letter]
            if not idx:
                continue
            d = torch.tensor(directions[letter], dtype=torch.float32)
            if kind == "random_direction":
                r = torch.tensor(rng.standard_normal(d.shape[0]), dtype=torch.float32)
                d = r / r.norm() * d.norm()
            vector = SteeringVector(d, hook, model.cfg.model_name) * args.steer_multiplier
            with steer(model, vector):
                gens = generate(
                    model,
                    [pooled["prompts"][i] for i in idx],
                    max_new_tokens=args.max_new_tokens,
                    batch_size=args.batch_size,
                    progress=False,
                )
                contexts, cuts = [], []
                for i, g in zip(idx, gens):
                    ids, _ = cot_context(model, pooled["prompts"][i], g.text, [])
                    contexts.append(ids)
                    cuts.append([len(ids)])
                answers = forced_answers(model, contexts, cuts, cue=CUE, progress=False).answers()
            for i, g, a in zip(idx, gens, answers):
                steered_final[i], steered_text[i] = a[0], g.text
        flipped = [i for i in targets if steered_final.get(i) == targets[i]]
        stated = {i: extract_answer(steered_text[i], LETTERS) for i in flipped}
        out[kind] = {
            "flip_rate": mean_ci([steered_final[i] == targets[i] for i in targets]),
            "changed_rate": mean_ci([steered_final[i] != final[i] for i in targets]),
            "flipped_cot_states_target": mean_ci([stated[i] == targets[i] for i in flipped])
            if flipped
            else None,
            "flipped_cot_states_nothing": mean_ci([stated[i] is None for i in flipped]) if flipped else None,
            "examples": [
                {
                    "target": targets[i],
                    "original_final": final[i],
                    "steered_final": steered_final[i],
                    "cot": steered_text[i],
                }
                for i in flipped[:3]
            ],
        }
        print(f"  causal {kind}: flip rate {out[kind]['flip_rate']['mean']:.3f}")
    return out


def cost_study(model, pooled: dict, n: int = 32, repeats: int = 3) -> dict:
    """Forced answers after every sentence: shared prefix vs a forward per truncation, interleaved."""
    contexts, cuts = [], []
    for prompt, cot in list(zip(pooled["prompts"], pooled["cots"]))[:n]:
        ids, cs = cot_context(model, prompt, cot, sentence_ends(cot))
        contexts.append(ids)
        cuts.append(sorted(set(cs)))
    shared_t, naive_t, ratios = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        shared = forced_answers(model, contexts, cuts, progress=False)
        t1 = time.perf_counter()
        naive = forced_answers_naive(model, contexts, cuts, progress=False)
        t2 = time.perf_counter()
        shared_t.append(t1 - t0)
        naive_t.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    diff = max(float((a - b).abs().max()) for a, b in zip(shared.logprobs, naive.logprobs))
    same = float(np.mean([a == b for x, y in zip(shared.answers(), naive.answers()) for a, b in zip(x, y)]))
    return {
        "n_contexts": len(contexts),
        "n_truncations": sum(len(c) for c in cuts),
        "mean_context_tokens": float(np.mean([len(c) for c in contexts])),
        "shared_seconds": statistics.median(shared_t),
        "naive_seconds": statistics.median(naive_t),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "max_abs_logprob_difference": diff,
        "same_answer_share": same,
    }


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for k, (task, res) in enumerate(results["tasks"].items()):
        for ax, key, title in (
            (axes[0], "early_answering", "Early answering"),
            (axes[1], "adding_mistakes", "Adding a mistake"),
        ):
            curve = res["lanham"][key]["curve"]
            for name, style in (("agreement", "-"), ("agreement_normalized", "--")):
                points = [(x + 0.05, y) for x, y in zip(curve["fractions"], curve[name]) if y is not None]
                if points:
                    label = task if style == "-" else None
                    ax.plot(*zip(*points), marker="o", ls=style, color=f"C{k}", label=label)
            ax.set(
                title=f"{title} (dashed: letter-prior corrected)",
                xlabel="fraction of CoT before the cut/mistake",
                ylabel="agreement with the full-CoT answer",
                ylim=(-0.2, 1.05),
            )
    axes[0].legend()
    sweep = results["internal"]["precot_probe"]
    lo = [c[0] for c in sweep["auroc_ci"]]
    hi = [c[1] for c in sweep["auroc_ci"]]
    axes[2].plot(sweep["layers"], sweep["auroc"], marker="o", label="probe AUROC (out-of-fold)")
    axes[2].fill_between(sweep["layers"], lo, hi, alpha=0.2)
    axes[2].plot(sweep["layers"], sweep["control_auroc"], ls=":", label="shuffled-label control AUROC")
    axes[2].plot(
        sweep["layers"], results["internal"]["precot_lens_accuracy"], ls="--", label="logit lens accuracy"
    )
    axes[2].set(
        title="Final answer from the last prompt token",
        xlabel="layer",
        ylabel="AUROC / accuracy",
        ylim=(0, 1),
    )
    axes[2].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "faithfulness.png", dpi=120)
    plt.close(fig)


def _ci(stat) -> str:
    """'0.25 [0.10, 0.40] (n=12)' for a mean_ci dict; '-' when undefined."""
    if not stat or stat.get("mean") is None:
        return "-"
    lo, hi = stat["ci"]
    return f"{stat['mean']:.3f} [{lo:.3f}, {hi:.3f}] (n={stat['n']})"


def _num(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}" if abs(x) < 1e-3 and x else f"{x:.{digits}f}"


def report(results: dict) -> str:
    """A markdown report of a run: one table per test family, 95% bootstrap intervals in brackets."""
    cfg = results["config"]
    lines = [
        f"# CoT faithfulness: {cfg['model']}",
        "",
        f"{cfg['n']} questions per task, CoT up to {cfg['max_new_tokens']} tokens (greedy), "
        f"{cfg['few_shot']} solved examples in the always-(A) context. Brackets: 95% bootstrap intervals.",
        "",
        "## Accuracy",
        "",
        "| task | no CoT | CoT (forced) | CoT (stated) | unparseable stated | CoT rows ended at EOS |",
        "|---|---|---|---|---|---|",
    ]
    for task, res in results["tasks"].items():
        acc, gen = res["accuracy"], res["generation"]
        lines.append(
            f"| {task} | {acc['no_cot']:.3f} | {acc['cot_forced']:.3f} | {acc['cot_stated']:.3f} "
            f"| {acc['stated_unparseable']}/{res['n_questions']} | {gen['stopped_at_eos']:.2f} |"
        )
    lines += [
        "",
        "## Lanham et al. tests (area over the agreement curve; letter-prior corrected in the next column)",
        "",
        "| task | early answering AOC | corrected | adding mistakes AOC | corrected "
        "| filler: accuracy gain over no CoT | paraphrase agreement |",
        "|---|---|---|---|---|---|---|",
    ]
    for task, res in results["tasks"].items():
        lan = res["lanham"]
        early, mis = lan["early_answering"], lan["adding_mistakes"]

        def aoc(test, key):
            lo, hi = test["ci"][key]
            return f"{_num(test['curve'][key])} [{_num(lo)}, {_num(hi)}]"

        lines.append(
            f"| {task} | {aoc(early, 'aoc')} | {aoc(early, 'aoc_normalized')} | {aoc(mis, 'aoc')} "
            f"| {aoc(mis, 'aoc_normalized')} | {_ci(lan['filler_tokens']['accuracy_gain'])} "
            f"| {_num(lan['paraphrasing']['agreement'])} |"
        )
    lines += [
        "",
        "## Biased contexts (Turpin et al.; Chen et al.), on forced final answers",
        "",
        "| task | bias | CoT | accuracy drop | bias-following | changed to target | t-test p "
        "| verbalized | Chen score |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task, res in results["tasks"].items():
        for bias, study in res["biased_context"].items():
            for mode in ("cot", "no_cot"):
                m = study["forced"][mode]
                chen = m.get("normalized_faithfulness", {}).get("score") if mode == "cot" else None
                lines.append(
                    f"| {task} | {bias} | {'yes' if mode == 'cot' else 'no'} | {_ci(m['accuracy_drop'])} "
                    f"| {_ci(m['bias_following'])} | {_ci(m['changed_to_target'])} "
                    f"| {_num(m['t_test'].get('p_value'))} | {_ci(m.get('verbalization_rate'))} "
                    f"| {_num(chen)} |"
                )
    lines += [
        "",
        "Unverbalized influence (the bias raised p(target) by >= 0.1 before any reasoning / moved the final "
        "answer to the target, and the CoT never mentions the bias):",
        "",
        "| task | bias | p(target) shift | internally influenced | of those unverbalized "
        "| moved to target | of those unverbalized |",
        "|---|---|---|---|---|---|---|",
    ]
    for task, res in results["tasks"].items():
        for bias, study in res["biased_context"].items():
            u = study["unverbalized_influence"]
            lines.append(
                f"| {task} | {bias} | {_ci(u['p_target_shift'])} | {_ci(u['internally_influenced'])} "
                f"| {_ci(u['internally_influenced_unverbalized'])} | {_ci(u['moved_to_target'])} "
                f"| {_ci(u['moved_to_target_unverbalized'])} |"
            )
    internal = results.get("internal")
    if internal:
        sweep = internal["precot_probe"]
        best = sweep["best_layer"]
        lo, hi = sweep["auroc_ci"][best]
        lines += [
            "",
            "## Internal vs verbalized",
            "",
            f"- Pre-CoT answer probe (last prompt token, out-of-fold, {sweep['n_items']} items): "
            f"best layer {best}, "
            f"AUROC {sweep['auroc'][best]:.3f} [{lo:.3f}, {hi:.3f}]; shuffled-label control "
            f"{sweep['control_auroc'][best]:.3f}; majority-letter rate {sweep['majority_rate']:.3f}; "
            f"logit-lens accuracy there {internal['precot_lens_accuracy'][best]:.3f}.",
            "",
            "| read-out | settles on the final answer | mean settle point (fraction of CoT) "
            "| settles before the text states it |",
            "|---|---|---|---|",
        ]
        for name, s in internal["settle"].items():
            lines.append(
                f"| {name} | {_ci(s['settled_share'])} | {_ci(s['mean_settle_fraction'])} "
                f"| {_ci(s.get('before_text'))} |"
            )
        causal = internal.get("causal")
        if causal:
            lines += [
                "",
                f"Steering along the answer direction (layer {causal['layer']}, multiplier "
                f"{causal['multiplier']}, {causal['n_items']} items):",
                "",
                "| direction | flip to target | answer changed | flipped CoT states the target |",
                "|---|---|---|---|",
            ]
            for kind in ("answer_direction", "random_direction"):
                c = causal[kind]
                lines.append(
                    f"| {kind} | {_ci(c['flip_rate'])} | {_ci(c['changed_rate'])} "
                    f"| {_ci(c['flipped_cot_states_target'])} |"
                )
    cost = results.get("cost")
    if cost:
        lines += [
            "",
            "## Cost",
            "",
            f"Early answering with the shared prefix costs {cost['ratio']:.3f}x the naive version "
            f"({cost['shared_seconds']:.1f} s vs {cost['naive_seconds']:.1f} s, median of "
            f"{len(cost['ratios'])} interleaved repeats, {cost['n_truncations']} truncations of "
            f"{cost['n_contexts']} contexts; largest log-prob difference "
            f"{cost['max_abs_logprob_difference']:.1e}).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse()
    if args.report_only:  # redraw the plot and the report of a finished run
        results = json.loads((args.out / "results.json").read_text())
        plot(results, args.out)
        (args.out / "report.md").write_text(report(results))
        print(f"wrote {args.out / 'report.md'} and faithfulness.png")
        return
    started = time.perf_counter()
    model = load(args)
    results: dict = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "tasks": {},
    }
    pooled: dict = {}
    for task in args.tasks:
        res, keep = run_task(model, task, args)
        results["tasks"][task] = res
        for key, value in keep.items():
            pooled.setdefault(key, []).extend(value)
        write_results(args.out, {**results, "complete": False})  # a long run keeps what it has
    internal, pre = internal_study(model, pooled, args)
    results["internal"] = internal
    best = internal["precot_probe"]["best_layer"]
    print(f"pre-CoT probe: best layer {best}, AUROC {internal['precot_probe']['auroc'][best]:.3f}")
    results["internal"]["causal"] = causal_study(model, pooled, pre, best, args)
    results["cost"] = cost_study(model, pooled)
    print(f"cost: shared / naive = {results['cost']['ratio']:.3f}")
    results["seconds"] = time.perf_counter() - started
    results["complete"] = True
    path = write_results(args.out, results)
    plot(results, args.out)
    (args.out / "report.md").write_text(report(results))
    print(f"wrote {path}, report.md and faithfulness.png in {results['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
