"""Deception: can a probe tell a lie from an honest answer? The data, the metrics and the study.

- data (:mod:`~probes.deception.dialogues`, :mod:`~probes.deception.data`,
  :mod:`~probes.deception.templates`): :class:`DialogueSet` of honest and deceptive answers,
  :func:`instructed_pairs`, :func:`roleplay`, :func:`control`, :func:`load_deception`;
- metrics (:mod:`~probes.deception.metrics`): :func:`detection_report` (AUROCs, recall at a
  false-positive rate calibrated on control chat, honest FPR, bootstrap CIs);
- the study (:mod:`~probes.deception.study`): :func:`run` with a :class:`Config`, giving a
  :class:`DeceptionResult`.

Example:
    >>> from probes.deception import Config, run, roleplay
    >>> result = run(model, Config.quick(), out="results/deception")
    >>> roleplay(n=10).scenarios[:2]
"""

from probes.deception.config import Config
from probes.lazy import lazy_exports

_WHERE = {
    "run": "probes.deception.study",
    "DeceptionResult": "probes.deception.result",
    "Result": "probes.deception.study",
    "Dialogue": "probes.deception.dialogues",
    "DialogueSet": "probes.deception.dialogues",
    "concat_dialogues": "probes.deception.dialogues",
    "DECEPTION_DATASETS": "probes.deception.data",
    "instructed_pairs": "probes.deception.data",
    "roleplay": "probes.deception.data",
    "control": "probes.deception.data",
    "load_deception": "probes.deception.data",
    "detection_report": "probes.deception.metrics",
}

__all__ = ["Config", *sorted(_WHERE)]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
