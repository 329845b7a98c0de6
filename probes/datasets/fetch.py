"""Download the BIG-bench task files that :func:`probes.datasets.bbh.bbh_task` reads, once, into the cache.

pip will not install or download ``bigbench`` 1.0.0 (see :mod:`probes.datasets.bbh`), so this fetches
its PyPI source archive (358 MB) directly, checks its sha256 against
:data:`~probes.datasets.bbh.BIGBENCH_ARCHIVE_SHA256`, and keeps only the ``task.json`` of each task in
:data:`~probes.datasets.bbh.BBH_TASKS` (19 files, 30 MB) and a ``SOURCE.json`` saying where they came
from. They go to ``<cache>/bigbench-1.0.0/bigbench/benchmark_tasks/<task>/task.json``, ``<cache>``
being ``$PROBES_CACHE_DIR`` or ``~/.cache/probes``, where ``bbh_task`` finds them without `path`.
The archive itself is deleted. ``make install`` runs this.

The folder appears complete or not at all: the files are written into a temporary folder next to it
and renamed at the end. When it is already complete, :func:`fetch_bigbench` returns at once.

Example:
    $ python -m probes.datasets.fetch bigbench                       # download, check, extract
    $ python -m probes.datasets.fetch bigbench --archive bigbench-1.0.0.tar.gz   # a local copy

    >>> folder = fetch_bigbench()          # the same from Python; returns the folder
    >>> bbh_task("snarks").info["file"]    # .../bigbench-1.0.0/bigbench/benchmark_tasks/snarks/task.json
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import json
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from tqdm import tqdm

from probes.datasets.base import DatasetError
from probes.datasets.bbh import BBH_TASKS, BIGBENCH, BIGBENCH_ARCHIVE_SHA256, BIGBENCH_VERSION, ENV_VAR

ARCHIVE = f"{BIGBENCH}-{BIGBENCH_VERSION}.tar.gz"
URL = (
    "https://files.pythonhosted.org/packages/95/f8/"
    f"c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/{ARCHIVE}"
)
"""The archive on PyPI's file host (listed at https://pypi.org/simple/bigbench/). The path is the
file's blake2b-256, so it never changes."""
SOURCE = "SOURCE.json"
CACHE_ENV = "PROBES_CACHE_DIR"  # as probes.models.cache_dir, which imports torch
COMMAND = "python -m probes.datasets.fetch bigbench"
_CHUNK = 1 << 20


def default_folder() -> Path:
    """``probes.cache_dir() / "bigbench-1.0.0"``: where :func:`fetch_bigbench` writes by default."""
    cache = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "probes"
    return Path(cache) / f"{BIGBENCH}-{BIGBENCH_VERSION}"


def task_files() -> list[str]:
    """The archive members kept, relative to its top folder: one task.json per BBH task."""
    return [f"bigbench/benchmark_tasks/{folder}/task.json" for folder in BBH_TASKS.values()]


def is_complete(folder) -> bool:
    """Whether `folder` holds every BBH task file and the SOURCE.json written after them."""
    folder = Path(folder)
    return (folder / SOURCE).is_file() and all((folder / name).is_file() for name in task_files())


def fetch_bigbench(
    folder=None, *, archive=None, progress: bool = True, url: str = URL, sha256: str | None = None
) -> Path:
    """Fetch the BBH task files into `folder` (default :func:`default_folder`) and return it.

    `archive`: a local ``bigbench-1.0.0.tar.gz`` to read instead of downloading `url`. Either way
    its sha256 must be `sha256` (default :data:`~probes.datasets.bbh.BIGBENCH_ARCHIVE_SHA256`). A
    complete folder is returned as it is; an incomplete one that this function made (it has a
    SOURCE.json) is replaced, any other is left alone with an error.
    """
    folder = Path(folder) if folder is not None else default_folder()
    sha256 = sha256 or BIGBENCH_ARCHIVE_SHA256
    if is_complete(folder):
        return folder
    if folder.exists() and not (folder / SOURCE).is_file():
        raise DatasetError(f"{folder} exists and was not made by fetch_bigbench; remove it or choose another")
    if archive is not None and not Path(archive).is_file():
        raise DatasetError(f"the archive {archive} does not exist or is not a file")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{folder.name}.partial-", dir=folder.parent) as work:
        work = Path(work)
        if archive is None:
            archive, digest = work / ARCHIVE, _download(url, work / ARCHIVE, progress)
        else:
            archive, url = Path(archive), None
            digest = _sha256(archive)
        if digest != sha256:
            raise DatasetError(
                f"{url or archive}: sha256 {digest}, expected {sha256} (a different or damaged file)"
            )
        staged = work / folder.name
        files = _extract(archive, staged, progress)
        source = {
            "package": BIGBENCH,
            "version": BIGBENCH_VERSION,
            "archive": ARCHIVE,
            "archive_sha256": digest,
            "archive_bytes": archive.stat().st_size,
            "url": url,
            "licence": "Apache-2.0",
            "licence_note": "the BIG-bench repository's licence; the archive states none",
            "fetched": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "files": files,
        }
        (staged / SOURCE).write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
        if folder.exists():  # an incomplete folder of ours: move it aside, cleaned up with `work`
            folder.rename(work / "old")
        staged.rename(folder)
    return folder


def _download(url: str, path: Path, progress: bool) -> str:
    """Stream `url` to `path`; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, path.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=ARCHIVE, disable=not progress) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
        raise DatasetError(
            f"could not download {url} ({error}). Without network, get {ARCHIVE} (sha256 "
            f"{BIGBENCH_ARCHIVE_SHA256}) elsewhere and run `{COMMAND} --archive PATH`, or pass "
            f"bbh_task path= to it, or set {ENV_VAR} to it"
        ) from error
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise DatasetError(f"cannot read the archive {path} ({error})") from error
    return digest.hexdigest()


def _extract(archive: Path, folder: Path, progress: bool) -> dict[str, str]:
    """Copy the task files out of `archive` into `folder`; returns their sha256 by relative path."""
    wanted, files = set(task_files()), {}
    with (
        tarfile.open(archive, "r|gz") as tar,
        tqdm(total=len(wanted), desc="task files", disable=not progress) as bar,
    ):
        for member in tar:  # one pass over the gzip stream, stopping at the last task file
            relative = member.name.split("/", 1)[-1]
            if member.isfile() and relative in wanted and relative not in files:
                data = tar.extractfile(member).read()
                target = folder / relative  # a name of ours, never the member's own path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                files[relative] = hashlib.sha256(data).hexdigest()
                bar.update()
                if len(files) == len(wanted):
                    break
    missing = sorted(wanted - set(files))
    if missing:
        raise DatasetError(f"{archive} has no {', '.join(missing)}: not the BIG-bench source archive?")
    return dict(sorted(files.items()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m probes.datasets.fetch",
        description="Download the BBH task files of BIG-bench 1.0.0 into the cache (once).",
    )
    parser.add_argument("dataset", choices=["bigbench"], help="what to fetch (the BBH task files)")
    parser.add_argument("--archive", type=Path, help=f"a local {ARCHIVE} to read instead of downloading")
    parser.add_argument("--folder", type=Path, help=f"where to put the files (default {default_folder()})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        folder = fetch_bigbench(args.folder, archive=args.archive, progress=not args.quiet)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
