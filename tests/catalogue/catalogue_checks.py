"""The bad-input catalogue: every case must end in a clear error or a correct result.

A *clear error* is an exception the library raises on purpose (ValueError, TypeError, or one of the
library's own error classes) whose message names what was expected and what arrived, so a user can
fix the call. :func:`clear_error` checks that; a case that expects a correct result compares against
an answer known by construction.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

LIBRARY_ERRORS = (ValueError, TypeError, KeyError, IndexError, RuntimeError, OSError)


@contextmanager
def clear_error(*words: str, kind: type[BaseException] | tuple = LIBRARY_ERRORS):
    """Expect an exception of `kind` raised from library code whose message contains every word
    (case-insensitive regular expressions), e.g. the argument's name and what it should be."""
    with pytest.raises(kind) as info:
        yield info
    message = str(info.value)
    for word in words:
        assert re.search(word, message, re.IGNORECASE), f"{word!r} not in error message: {message!r}"
    tb = info.traceback
    origin = str(tb[-1].path) if len(tb) else ""
    # The error must come from our code (a deliberate check), not from deep inside torch/numpy.
    assert any(part in origin for part in ("/probes/", "/hooks/")), f"raised outside the library: {origin}"
