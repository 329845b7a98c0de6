"""The main job: run chosen studies on one model, save each, and write one report for all of them.

Example:
    >>> results = run_studies(["truth", "deception"], model, quick=True, out="results")
    >>> write_report(results, "results")          # results/report.html and results/report.md
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

from hooks.atomic import write_atomically
from probes.report import Heading, Paragraph, Table, to_html, to_markdown
from probes.study import RESULTS_FILE, Result

log = logging.getLogger("probes.runner")

# study name -> package; each has `config.Config` (torch-free) and `study.run`, `study.Result`
STUDIES = {
    "truth": "probes.truth",
    "sycophancy": "probes.sycophancy",
    "deception": "probes.deception",
    "faithfulness": "probes.faithfulness",
    "organisms": "probes.organisms",
    "twins": "probes.twins",
}


def config_class(name: str):
    return importlib.import_module(f"{_package(name)}.config").Config


def study_module(name: str):
    return importlib.import_module(f"{_package(name)}.study")


def _package(name: str) -> str:
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; choose from {', '.join(STUDIES)} or 'all'")
    return STUDIES[name]


def run_studies(
    names: list[str],
    model,
    *,
    quick: bool = False,
    out: str | Path,
    configs: dict | None = None,
    artifacts: str | Path | bool | None = None,
    progress: bool = True,
) -> list[Result]:
    """Run each study into ``out/<name>/`` (saved step by step), then the combined report.

    `configs` maps a study name to its Config (overrides `quick`). A study that crashes is logged
    and the others still run; its finished steps stay in its results.json.
    """
    out = Path(out)
    results = []
    for name in names:
        config = (configs or {}).get(name)
        if config is None:
            cls = config_class(name)
            config = cls.quick() if quick else cls()
        module = study_module(name)
        folder = out / name
        log.info("study %s -> %s", name, folder)
        try:
            result = module.run(model, config, out=folder, artifacts=artifacts, progress=progress)
        except Exception:
            log.exception("study %s failed; its finished steps are in %s", name, folder / RESULTS_FILE)
            partial = folder / RESULTS_FILE
            if partial.is_file():
                results.append(load_result(partial))
            continue
        results.append(result)
        write_report(results, out)  # the report grows study by study
    return results


def load_result(path: str | Path) -> Result:
    """A Result of the right study class from a results.json (or the folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    data = json.loads(path.read_text())
    name = data.get("name")
    if name not in STUDIES:
        raise ValueError(f"{path} is not a study result (name {name!r}); known: {', '.join(STUDIES)}")
    return study_module(name).Result.from_dict(data)


def load_results(folder: str | Path) -> list[Result]:
    """Every study result under `folder` (``<folder>/<study>/results.json``), in registry order."""
    folder = Path(folder)
    found = [load_result(folder / name) for name in STUDIES if (folder / name / RESULTS_FILE).is_file()]
    if not found:
        raise FileNotFoundError(
            f"no <study>/{RESULTS_FILE} under {folder}; run `probes run all --out {folder}`"
        )
    return found


def summary_table(results: list[Result]) -> Table:
    """One row per headline number of every study (each study's ``summary()``)."""
    rows = [
        [result.title, row["measure"], row["value"], row.get("detail", "")]
        for result in results
        for row in result.summary()
    ]
    return Table(["study", "measure", "value", "detail"], rows)


def write_report(results: list[Result], folder: str | Path) -> tuple[Path, Path]:
    """``report.md`` and a self-contained ``report.html`` in `folder`: a summary table of every
    study first, then each study's section with its plots."""
    folder = Path(folder)
    models = sorted({r.model for r in results})
    blocks = [
        Heading("Probe studies", 1),
        Paragraph(
            f"Model {', '.join(f'`{m}`' for m in models)}; studies: {', '.join(r.name for r in results)}. "
            "Every number is read from the studies' results.json files."
        ),
        Heading("Summary", 2),
        summary_table(results),
    ]
    for result in results:
        sub = folder / result.name
        if any(not image.path.is_file() for image in result.images(sub)):
            result.draw(sub)  # a report redrawn from results.json files
        blocks += result.header() + result.blocks(sub) + result.skipped_blocks()
    md, page = to_markdown(blocks, folder), to_html(blocks, "Probe studies")
    md_path = write_atomically(folder / "report.md", lambda tmp: tmp.write_text(md))
    html_path = write_atomically(folder / "report.html", lambda tmp: tmp.write_text(page))
    return md_path, html_path


def update_readme(readme: str | Path, folder: str | Path, section: str = "results") -> bool:
    """Replace the text between ``<!-- <section>:begin -->`` and ``<!-- <section>:end -->`` in
    `readme` (``results`` by default) with the summary table of the results under `folder` and a
    line naming each run; returns True when the file changed. README numbers come from results
    files this way, never by hand."""
    folder = Path(folder)
    results = load_results(folder)
    runs = "; ".join(f"{r.name} {r.created_utc[:10]} ({r.device}, {_took(r)})" for r in results)
    table = to_markdown([summary_table(results)]).strip()
    body = f"{table}\n\nModel `{results[0].model}`; runs: {runs}; from `{folder.as_posix()}/*/results.json`."
    return replace_section(readme, section, body)


def replace_section(readme: str | Path, section: str, body: str) -> bool:
    """Put `body` between ``<!-- <section>:begin -->`` and ``<!-- <section>:end -->`` in `readme`;
    True when the file changed."""
    readme = Path(readme)
    begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
    text = readme.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{readme} has no {begin} ... {end} section to fill")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    new = f"{head}{begin}\n{body}\n{end}{tail}"
    if new != text:
        write_atomically(readme, lambda tmp: tmp.write_text(new))
    return new != text


def _took(result: Result) -> str:
    if "total" in result.seconds:
        return f"{result.seconds['total'] / 60:.1f} min"
    done = [step for step in result.seconds if step != "total"]
    return f"unfinished: stopped after {len(done)} steps, {sum(result.seconds.values()) / 60:.1f} min"
