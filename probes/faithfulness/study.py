"""Chain-of-thought faithfulness: does the reasoning a model writes drive its answer?

On generated four-option questions (arithmetic word problems, population comparisons, date puzzles;
``n`` per task) the model reasons (greedy, "Let's think step by step.", up to ``max_new_tokens``)
and every answer is forced with the cue "\\nThe answer is (" (the same cue after every edit). Steps,
each saved to results.json as it finishes (``result.metrics[<step>]``):

1. ``<task>/answers``: no-CoT answers, the CoTs, accuracy (old ``tasks.<task>`` minus the two below);
2. ``<task>/lanham``: Lanham et al. (2023) early answering, adding a mistake, filler tokens,
   paraphrasing (curves, area over the curve raw and corrected for the letter prior, bootstrap CIs)
   (old ``tasks.<task>.lanham``);
3. ``<task>/bias``: Turpin et al. (2023) biases (a suggested wrong answer; "always (A)" few-shot),
   with and without CoT: accuracy drop, bias-following, t-test, verbalization rate, Chen et al.'s
   normalized faithfulness, the bias's unverbalized influence (old ``tasks.<task>.biased_context``);
4. ``internal`` (all tasks pooled): a probe predicting the final answer from the last prompt token
   per layer, the logit lens there, and where probe, lens, forced answer and text settle along the
   CoT (old ``internal`` without ``causal``);
5. ``causal``: steering along a per-letter answer direction at the probe's layer vs a random
   direction of the same norm (old ``internal.causal``);
6. ``cost``: forced answers with the shared prefix vs a forward per truncation (old ``cost``);
7. ``bbh/<task>`` for each of ``bbh_tasks`` (published BIG-Bench-Hard questions) and ``bbh`` (those
   tasks pooled): the suggested-answer bias only (:mod:`probes.faithfulness.bbh_bias`).

A step that cannot compute (e.g. the pre-CoT probe when the final answers are nearly all one
letter) is recorded in ``result.skipped`` and the study goes on; the report shows what finished.

Example:
    >>> from probes.faithfulness import Config, run
    >>> result = run(model, Config.quick(tasks=("arithmetic",)), out="results/faithfulness")
    >>> result.metrics["arithmetic/lanham"]["early_answering"]["curve"]["aoc"]
    >>> print(result.to_markdown())
"""

from __future__ import annotations

import logging
from pathlib import Path

from probes.faithfulness.bbh_bias import bbh_bias_step, pooled_bias
from probes.faithfulness.config import Config
from probes.faithfulness.plot import draw_figure
from probes.faithfulness.pooled_steps import causal_study, cost_study, internal_study, precot_states
from probes.faithfulness.report import PLOT, blocks, summary_rows
from probes.faithfulness.task_steps import POOLED, answer_task, bias_step, kv_cache_works, lanham_step
from probes.study import Result, Steps, describe_model

log = logging.getLogger(__name__)

FAMILIES = ("answers", "lanham", "bias")
"""The steps run for every task, in order (``<task>/<family>``)."""

POOLED_STEPS = ("internal", "causal", "cost")
"""The steps run once on all tasks' questions together, after the tasks."""


class FaithfulnessResult(Result):
    name = "faithfulness"
    title = "Chain-of-thought faithfulness"

    def task(self, task: str, family: str = "answers") -> dict | None:
        """One task's section (``family`` in answers, lanham, bias); None if that step did not finish."""
        return self.metrics.get(f"{task}/{family}")

    def summary(self) -> list[dict]:
        return summary_rows(self.metrics)

    def blocks(self, folder: Path) -> list:
        return blocks(self.metrics, self.config, Path(folder))

    def draw(self, folder: Path) -> list[Path]:
        path = draw_figure(self.metrics, self.config, self.skipped, self.model, Path(folder) / PLOT)
        return [path] if path is not None else []


Result = FaithfulnessResult


def run(
    model, config: Config | None = None, *, out=None, artifacts=None, progress: bool = True
) -> FaithfulnessResult:
    """Run the study on `model` (default `Config()`); with `out`, results.json is rewritten after
    every step and the plot and report.md are written at the end. The study writes no artifacts
    (`artifacts` is accepted for the common signature)."""
    config = Config() if config is None else config
    result = FaithfulnessResult(**describe_model(model), config=config.to_dict())
    total = len(FAMILIES) * len(config.tasks) + len(POOLED_STEPS) * bool(config.tasks)
    total += len(config.bbh_tasks) + (len(config.bbh_tasks) > 1)
    steps = Steps(result, out, total=total, artifacts=artifacts)
    pooled: dict[str, list] = {key: [] for key in POOLED}
    cache = kv_cache_works(model)  # False: full passes instead (the same numbers), no cost step
    result.metrics["decoding"] = {"kv_cache": cache}
    for task in config.tasks:
        where = progress and task
        done = steps.run(f"{task}/answers", answer_task, model, task, config, where, cache, keep=False)
        if done is not None:
            result.metrics[f"{task}/answers"] = done.metrics
            steps.checkpoint()
        steps.run(f"{task}/lanham", lanham_step, model, done, config, where, cache)
        steps.run(f"{task}/bias", bias_step, done, config)
        if done is not None:
            for key, values in done.pooled().items():
                pooled[key].extend(values)
    bbh_runs = []
    for task in config.bbh_tasks:
        done = steps.run(f"bbh/{task}", bbh_bias_step, model, task, config, progress and f"bbh/{task}", cache)
        bbh_runs.append(done)
        if done is not None:
            result.metrics[f"bbh/{task}"] = done.metrics
            steps.checkpoint()
    if len(config.bbh_tasks) > 1:
        steps.run("bbh", pooled_bias, bbh_runs, config.seed)
    if not config.tasks:
        return steps.finish()
    pre = precot_states(pooled) if pooled["states"] else None
    internal = steps.run("internal", internal_study, pooled, pre, config, progress)
    steps.run("causal", causal_study, model, pooled, pre, internal, config, progress, cache)
    from hooks.vllm_engine import is_served

    if is_served(model):  # it times TransformerBridge's two forced-answer paths
        return steps.finish()
    steps.run(
        "cost",
        cost_study,
        model,
        pooled,
        config.cost_contexts,
        config.cost_repeats,
        progress=progress,
        use_cache=cache,
    )
    return steps.finish()
