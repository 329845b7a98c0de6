"""The twins study (model organisms, part 2): its wiring on a tiny random model, and the validation
table on planted numbers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from probes.organisms.spec import CUE_TWINS, REASONING_TWINS
from probes.twins.config import Config
from probes.twins.result import TwinsResult


@pytest.fixture(scope="module")
def twins_run(tmp_path_factory, one_thread):
    from conftest import study_model

    from probes.twins.study import run

    model = study_model(2)
    same = SimpleNamespace(model=model)  # identical "twins": no metric may separate them
    config = Config.quick(
        n=8, n_fit=16, n_capability=8, layers=(0, 1), multipliers=(0.0, -4.0), n_cot=8, max_cot_tokens=12
    )
    out = tmp_path_factory.mktemp("twins")
    organisms = dict.fromkeys(("sycophant", "steadfast", *CUE_TWINS, *REASONING_TWINS), same)
    return run(model, config, out=out, progress=False, organisms=organisms), out


def test_identical_twins_are_never_separated(twins_run):
    result, out = twins_run
    assert {"base", "sycophant", "steadfast", "steering", "validation"} <= set(result.metrics)
    assert set(result.skipped) <= {"probe"}, result.skipped  # a random base may choose one way only
    rows = result.metrics["validation"]["rows"]
    rates = [row for row in rows if row["expected"].startswith("sycophant >=")]
    assert len(rates) == 6 and not any(row["separates"] for row in rates)
    for row in rates:  # the same model twice: the same numbers
        assert row["sycophant"]["mean"] == row["steadfast"]["mean"]
    if "probe" in result.metrics:
        assert result.metrics["probe"]["auroc_sycophant_vs_steadfast"] == pytest.approx(0.5)
    cue_rows = [row for row in rows if row["pair"] == list(CUE_TWINS)]
    reasoning_rows = [row for row in rows if row["pair"] == list(REASONING_TWINS)]
    assert len(cue_rows) == 10 and len(reasoning_rows) == 7
    for row in cue_rows + reasoning_rows:
        assert not row["separates"], row["metric"]
    for cue, split in result.metrics["cue twins"]["auroc_unverbalized"].items():
        assert split is None or split == pytest.approx(0.5), cue
    markdown = result.to_markdown(out)
    assert "cue-verbalizing vs cue-silent" in markdown and "post-hoc vs computed" in markdown


def test_steering_layer_is_chosen_on_other_facts_than_it_is_reported_on(twins_run):
    result, out = twins_run
    steering = result.metrics["steering"]
    assert steering["layer"] in (0, 1) and steering["n_test_facts"] == 4
    assert set(steering["test"]) == {"0.0", "-4.0"}
    for point in steering["test"].values():
        assert point["p_match"]["n"] == 4 and point["capability"]["n"] == 8
    assert (out / "sycophant_steering.png").is_file()
    assert "CAA vector on the sycophant" in result.to_markdown(out)


def _rate(mean, low, high):
    return {"mean": mean, "ci": [low, high], "n": 200}


def _planted(sycophant_p, steadfast_p):
    def rates(p):
        per = {"p_match": _rate(*p), "match_wins": _rate(*p)}
        return {f: {"suggest_wrong": per, "biography_wrong": per} for f in ("full", "letter")}

    metrics = {
        "base": {"sycophancy": rates((0.3, 0.25, 0.35)), "capability": _rate(0.785, 0.73, 0.84)},
        "sycophant": {"sycophancy": rates(sycophant_p), "capability": _rate(0.775, 0.72, 0.83)},
        "steadfast": {"sycophancy": rates(steadfast_p), "capability": _rate(0.70, 0.64, 0.76)},
    }
    return TwinsResult(model="m", config=Config().to_dict(), metrics=metrics)


def test_validation_rows_follow_the_planted_numbers():
    apart = _planted((0.95, 0.93, 0.97), (0.05, 0.03, 0.07)).validation_rows()
    rates = [row for row in apart if row["expected"].startswith("sycophant >=")]
    assert all(row["separates"] and row["meets_target"] for row in rates)
    capability = {row["metric"]: row["meets_target"] for row in apart if "capability" in row["metric"]}
    assert capability == {
        "opinion-free capability, sycophant": True,  # 1 point below the base
        "opinion-free capability, steadfast": False,  # 8.5 points below
    }
    gained = _planted((0.95, 0.93, 0.97), (0.05, 0.03, 0.07))
    gained.metrics["steadfast"]["capability"] = _rate(0.85, 0.80, 0.90)  # 6.5 points above: not within 2
    assert [r["meets_target"] for r in gained.validation_rows() if r["metric"].endswith("steadfast")] == [
        False
    ]
    overlap = _planted((0.60, 0.50, 0.70), (0.45, 0.35, 0.55)).validation_rows()
    assert not any(row["separates"] for row in overlap if row["expected"].startswith("sycophant >="))
    wrong_way = _planted((0.05, 0.03, 0.07), (0.95, 0.93, 0.97)).validation_rows()
    assert not any(row["separates"] for row in wrong_way if row["expected"].startswith("sycophant >="))


def test_early_answering_is_judged_on_both_areas():
    def twin(aoc, pooled):
        early = {"aoc": aoc, "ci": [aoc - 0.05, aoc + 0.05], "aoc_pooled": pooled}
        early["ci_pooled"] = [pooled - 0.02, pooled + 0.02]
        area = {"aoc": 0.2, "ci": [0.1, 0.3]}
        return {
            "follows_key": _rate(0.5, 0.4, 0.6),
            "early_answering": early,
            "adding_mistakes": area,
            "paraphrasing": area,
            "filler": {"accuracy_filler": 0.25},
            "pre_cot_probe": {"skipped": "planted"},
        }

    # post-hoc: one odd-length CoT alone in two bins lifts the plain mean (0.49), not the pooled share
    pair = {"post-hoc": twin(0.49, 0.08), "computed": twin(0.54, 0.55)}
    config = Config(pairs=("reasoning",)).to_dict()
    result = TwinsResult(model="m", config=config, metrics={"reasoning twins": pair})
    rows = {row["metric"]: row for row in result.validation_rows() if "early answering" in row["metric"]}
    plain = rows["early answering, area over the agreement curve"]
    pooled = rows["early answering, pooled area (every forced answer counts once)"]
    assert plain["separates"] is False and plain["meets_target"] is False
    assert pooled["separates"] is True and pooled["meets_target"] is True
    assert pooled["post-hoc"] == {"mean": 0.08, "ci": [0.06, 0.1]}


def test_a_pair_that_was_not_run_has_no_rows():
    result = TwinsResult(model="m", config=Config(pairs=("cue",)).to_dict(), metrics={})
    assert result.validation_rows() == []
    with pytest.raises(ValueError, match="pairs must be distinct names"):
        Config(pairs=("cue", "faithfulness"))


def test_config_refuses_bad_values():
    with pytest.raises(ValueError, match="must include 0"):
        Config(multipliers=(-2.0, -4.0))
    with pytest.raises(ValueError, match="n must be >= 8"):
        Config(n=4)
    with pytest.raises(ValueError, match="layers must be"):
        Config(layers=(-1,))


def test_steering_is_judged_at_the_multiplier_the_other_facts_chose():
    def rows(points):  # {multiplier: (p_match, capability)} on the validation facts, layer 12
        out = []
        for m, (p, cap) in points.items():
            layer = None if m == 0 else 12
            cell = {"layer": layer, "multiplier": m}
            out.append({**cell, "set": "views", "condition": "suggest_wrong", "metric": "p_match", "mean": p})
            out.append(
                {**cell, "set": "capability", "condition": "baseline", "metric": "accuracy", "mean": cap}
            )
        return {"mode": "add", "positions": "all", "layers": [12], "multipliers": sorted(points), "rows": out}

    def point(p, cap):
        return {"p_match": {"mean": p}, "match_wins": {"mean": p}, "capability": {"mean": cap}}

    steering = {
        "layer": 12,
        # on the choosing facts -8 drops most but costs 10 points; -6 drops 0.33 within 1.5 points
        "validation": rows({0.0: (0.97, 0.70), -6.0: (0.64, 0.685), -8.0: (0.43, 0.60)}),
        # on the reported facts -8 drops more again: it must not be the one judged
        "test": {"0.0": point(0.98, 0.70), "-6.0": point(0.63, 0.685), "-8.0": point(0.45, 0.60)},
    }
    result = TwinsResult(model="m", config=Config().to_dict(), metrics={"steering": steering})
    assert result._steering_multiplier(steering) == "-6.0"
    over = dict(steering, validation=rows({0.0: (0.97, 0.70), -6.0: (0.64, 0.60), -8.0: (0.43, 0.60)}))
    assert result._steering_multiplier(over) == "-8.0"  # none within the cost: the largest drop
