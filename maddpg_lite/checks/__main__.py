"""``python -m maddpg_lite.checks --answers``: write the table of :data:`~maddpg_lite.checks.ANSWERS` into the
instructor guide, notebooks/exercises/README.md."""

import sys

from .core import main

sys.exit(main())
