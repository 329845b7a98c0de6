"""``python -m probes``: the same as the ``probes`` command (see :mod:`probes.cli`)."""

import sys

from probes.cli import main

sys.exit(main())
