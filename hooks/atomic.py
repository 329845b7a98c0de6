"""Write a file so that a crash never leaves half of it: write next to it, then rename.

The one atomic write of the library (activation shards, artifacts, results files all use it).

Example:
    >>> write_atomically(Path("out/results.json"), lambda tmp: tmp.write_text("{}"))
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside `path`, then rename it to `path`.

    The temporary file is removed if `write` fails; the parent folder is created if missing.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name inside it")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
    return path
