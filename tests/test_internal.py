"""probes.internal: settle points, unverbalized influence, answer directions and probes on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from probes.faithfulness.internal import (
    answer_directions,
    answer_probe_sweep,
    out_of_fold_answers,
    settle_index,
    settle_report,
    unverbalized_influence,
)

LETTERS = "ABCD"


# ---------------------------------------------------------------- settle points


@pytest.mark.parametrize(
    "readout, final, expected",
    [
        (["A", "B", "B"], "B", 1),  # B from cut 1 on
        (["B", "A", "B"], "B", 2),  # an early B that is left again does not count
        (["B", "B", "A"], "B", None),  # the last read-out differs from the final answer
        (["B", "B"], None, None),  # no final answer
        (["B"], "B", 0),
        (["B", "B", "B"], "B", 0),
        ([None, "C"], "C", 1),
        (["C", None], "C", None),
        ([], "A", None),
    ],
)
def test_settle_index(readout, final, expected):
    assert settle_index(readout, final) == expected


def test_settle_report_by_hand():
    final = ["B", "A", "C"]
    readouts = {
        # item 0 settles at cut 2 of 3 -> 2/2 = 1.0; item 1 at 0 -> 0.0; item 2 never (last is A)
        "text": [["A", "A", "B"], ["A", "A", "A"], ["C", "B", "A"]],
        # item 0 at 1 -> 1/2; item 1 at 0 -> 0; item 2 at 0 -> 0
        "probe": [["A", "B", "B"], ["A", "A", "A"], ["C", "C", "C"]],
        # item 0 missing; item 1 at 1 of 4 cuts -> 1/3; item 2 one cut -> 0 / max(0, 1) = 0
        "lens": [None, ["B", "A", "A", "A"], ["C"]],
    }
    report = settle_report(readouts, final)
    text, probe, lens = report["text"], report["probe"], report["lens"]

    assert text["settled_share"]["mean"] == pytest.approx(2 / 3) and text["settled_share"]["n"] == 3
    assert text["mean_settle_fraction"]["mean"] == pytest.approx((1.0 + 0.0) / 2)
    assert "before_text" not in text

    assert probe["settled_share"]["mean"] == 1.0
    assert probe["mean_settle_fraction"]["mean"] == pytest.approx((0.5 + 0 + 0) / 3)
    # both settled on items 0 and 1: 0.5 < 1.0 (before the text), 0.0 < 0.0 (not) -> 1/2
    assert probe["n_both"] == 2 and probe["before_text"]["mean"] == pytest.approx(0.5)

    assert lens["settled_share"]["mean"] == pytest.approx(2 / 3)  # None counts as not settled
    assert lens["mean_settle_fraction"]["mean"] == pytest.approx((1 / 3 + 0) / 2)
    # both settled only on item 1: 1/3 < 0.0 is false
    assert lens["n_both"] == 1 and lens["before_text"]["mean"] == 0.0


def test_settle_report_needs_text_and_handles_nothing_settled():
    with pytest.raises(ValueError, match='"text"'):
        settle_report({"probe": [["A"]]}, ["A"])
    report = settle_report({"text": [["A", "B"]], "probe": [["B", "A"]]}, ["A"])
    assert report["text"]["settled_share"]["mean"] == 0.0 and report["text"]["mean_settle_fraction"] is None
    assert report["probe"]["before_text"] is None and report["probe"]["n_both"] == 0


# ---------------------------------------------------------------- unverbalized influence


def test_unverbalized_influence_by_hand():
    # shifts: 0.5 - 0.2 = 0.3, 0.55 - 0.5 = 0.05, 0.4 - 0.1 = 0.3, 0.1 - 0.3 = -0.2
    result = unverbalized_influence(
        [0.2, 0.5, 0.1, 0.3],
        [0.5, 0.55, 0.4, 0.1],
        [True, True, False, False],
        [False, True, False, True],
        threshold=0.1,
    )
    assert result["p_target_shift"]["mean"] == pytest.approx((0.3 + 0.05 + 0.3 - 0.2) / 4)  # 0.1125
    # internally influenced (shift > 0.1): items 0 and 2, neither verbalized -> 1.0
    assert result["n_internal"] == 2 and result["internally_influenced"]["mean"] == 0.5
    assert result["internally_influenced_unverbalized"]["mean"] == 1.0
    assert result["internally_influenced_unverbalized"]["n"] == 2
    # moved: items 0 and 1; item 1 verbalized -> 1/2 unverbalized
    assert result["n_moved"] == 2 and result["moved_to_target"]["mean"] == 0.5
    assert result["moved_to_target_unverbalized"]["mean"] == 0.5
    assert result["threshold"] == 0.1
    # a higher threshold: no item is internally influenced
    strict = unverbalized_influence([0.2, 0.5], [0.5, 0.55], [False, False], [False, False], threshold=0.35)
    assert strict["n_internal"] == 0 and strict["internally_influenced_unverbalized"] is None
    assert strict["moved_to_target_unverbalized"] is None


def test_unverbalized_influence_lengths_must_match():
    with pytest.raises(ValueError, match="one value per item"):
        unverbalized_influence([0.1, 0.2], [0.3, 0.4], [True], [False, False])


# ---------------------------------------------------------------- answer directions


def test_answer_directions_are_exact_mean_differences():
    states = np.array([[0, 0], [2, 0], [0, 4], [2, 4], [10, 10]], dtype=float)
    directions = answer_directions(states, ["A", "A", "B", "B", "C"])
    assert sorted(directions) == ["A", "B"]  # C has one item only
    # A: mean [1, 0]; the rest [0, 4], [2, 4], [10, 10] -> [4, 6]; difference [-3, -6]
    np.testing.assert_allclose(directions["A"], [-3.0, -6.0])
    # B: mean [1, 4]; the rest [0, 0], [2, 0], [10, 10] -> [4, 10/3]; difference [-3, 2/3]
    np.testing.assert_allclose(directions["B"], [-3.0, 2 / 3])
    # the rest must have >= 2 items too: with A, A, B neither letter qualifies
    assert answer_directions(states[:3], ["A", "A", "B"]) == {}


# ---------------------------------------------------------------- probes on synthetic states


def _letter_states(
    n: int, d: int, rng: np.random.Generator, separation: float
) -> tuple[np.ndarray, list[str]]:
    """n states of dimension d whose class mean is `separation` along the letter's own axis."""
    letters = [LETTERS[i % 4] for i in range(n)]
    x = rng.normal(size=(n, d))
    for i, letter in enumerate(letters):
        x[i, LETTERS.index(letter)] += separation
    return x, letters


def test_answer_probe_sweep_finds_the_encoding_layer():
    rng = np.random.default_rng(0)
    encoded, answers = _letter_states(120, 8, rng, separation=3.0)
    states = rng.normal(size=(120, 3, 8))  # layers 0 and 2: noise, unrelated to the answer
    states[:, 1] = encoded
    sweep = answer_probe_sweep(states, answers, n_boot=100, seed=0)
    assert sweep["layers"] == [0, 1, 2] and sweep["best_layer"] == 1
    assert sweep["auroc"][1] > 0.9 and sweep["accuracy"][1] > 0.7
    assert sweep["auroc"][0] < 0.7 and sweep["auroc"][2] < 0.7
    assert all(a < 0.7 for a in sweep["control_auroc"])  # shuffled labels: chance
    assert abs(sweep["control_auroc"][1] - 0.5) < 0.15
    low, high = sweep["auroc_ci"][1]
    assert low <= sweep["auroc"][1] <= high
    assert sweep["n_items"] == 120 and sweep["n_dropped_rare_letters"] == 0
    assert sweep["majority_rate"] == pytest.approx(0.25)


def test_answer_probe_sweep_drops_rare_letters_and_rejects_bad_input():
    rng = np.random.default_rng(1)
    x, answers = _letter_states(40, 4, rng, separation=3.0)
    answers = answers[:38] + ["E", "E"]  # E has 2 < n_splits items: dropped
    sweep = answer_probe_sweep(x[:, None, :], answers, layers=[7], n_boot=10)  # layers name the axis
    assert sweep["n_items"] == 38 and sweep["n_dropped_rare_letters"] == 2
    assert sweep["layers"] == [7] and sweep["best_layer"] == 7
    with pytest.raises(ValueError, match="one answer per item"):
        answer_probe_sweep(x[:, None, :], answers[:-1], n_boot=10)
    with pytest.raises(ValueError, match="two or more answer letters"):  # only A has >= 5 items
        answer_probe_sweep(x[:14, None, :], ["A"] * 10 + ["B", "B", "C", "C"], n_boot=10)


def test_answer_probe_sweep_with_two_letters_is_a_binary_auroc():
    """Two answer letters left: scikit-learn refuses a [n, 2] score for a binary AUROC (a crash found
    by the faithfulness study on a tiny model); the sweep scores the second letter's column."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    answers = ["A", "B"] * 15
    y = np.array([a == "B" for a in answers], dtype=float)
    states = rng.normal(size=(30, 2, 4))
    states[:, 1, 0] += 4 * y  # layer 1 encodes the letter
    sweep = answer_probe_sweep(states, answers, n_boot=50, seed=0)
    assert sweep["best_layer"] == 1 and sweep["auroc"][1] > 0.9
    assert sweep["auroc"][0] < 0.8
    low, high = sweep["auroc_ci"][1]
    assert 0 <= low <= sweep["auroc"][1] <= high <= 1
    # the same number as the binary AUROC of the out-of-fold probability of B
    from probes.faithfulness.internal import out_of_fold_proba

    proba, classes = out_of_fold_proba(states[:, 1], np.array(answers), np.arange(30), 5, 0.1, 0)
    assert list(classes) == ["A", "B"]
    assert sweep["auroc"][1] == pytest.approx(roc_auc_score(y, proba[:, 1]))


def test_out_of_fold_answers_reads_every_cut():
    rng = np.random.default_rng(2)
    final = [LETTERS[i % 2] for i in range(40)] + ["C", "C"]  # C: too rare to stratify
    states = []
    for i, letter in enumerate(final):
        cuts = 2 + i % 3
        x = rng.normal(size=(cuts, 6))
        x[:, LETTERS.index(letter)] += 4.0
        states.append(x)
    predicted = out_of_fold_answers(states, final, n_splits=5, seed=0)
    assert len(predicted) == len(final)
    assert predicted[40] is None and predicted[41] is None
    for i in range(40):
        assert len(predicted[i]) == len(states[i]) and set(predicted[i]) <= {"A", "B"}
    right = [a == f for p, f in zip(predicted[:40], final) for a in p]
    assert np.mean(right) > 0.9
    with pytest.raises(ValueError, match="two or more answer letters"):
        out_of_fold_answers(states[:6], ["A"] * 5 + ["B"])


@pytest.mark.parametrize("k", [2, 3, 4])
def test_vectorized_bootstrap_auroc_equals_scikit_learn_on_every_resample(k):
    """The pre-CoT probe's interval: the AUROC of all resamples at once (ties included) equals
    ``roc_auc_score`` draw by draw, and a resample that misses a letter is NaN (dropped)."""
    from probes.faithfulness.internal import _auroc, _macro_auroc_draws
    from probes.stats import bootstrap_draws, resamples

    rng = np.random.default_rng(k)
    n = 30
    y = np.array([LETTERS[i % k] for i in range(n)])
    raw = np.round(rng.random((n, k)), 1) + 0.1  # rounded: many ties
    proba = raw / raw.sum(1, keepdims=True)
    classes = np.unique(y)
    picks = resamples(n, 200, np.random.default_rng(0))
    fast = _macro_auroc_draws(y, proba, classes, picks)
    missing = 0
    for b, pick in enumerate(picks):
        if len(np.unique(y[pick])) < k:
            assert np.isnan(fast[b])
            missing += 1
        else:
            assert fast[b] == pytest.approx(_auroc(y[pick], proba[pick], classes), abs=1e-12)
    # the same draws as the per-draw loop with the same generator state
    loop = bootstrap_draws(lambda pick: int(pick.sum()), n, 200, np.random.default_rng(0))
    assert loop == [int(p.sum()) for p in picks]
    assert missing < 200
