"""The main job: ``python -m maddpg_lite.train [--flags]`` (see :mod:`maddpg_lite.training`)."""

import sys

from maddpg_lite.training import main

if __name__ == "__main__":
    sys.exit(main())
