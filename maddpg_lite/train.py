"""The main job: ``python -m maddpg_lite.train [--flags]`` (see :mod:`maddpg_lite.training`).

This file is the command only. The function is ``maddpg_lite.train`` (from :mod:`maddpg_lite.training`);
importing this file as a module would put the module in the function's place on the package, so it
refuses to be imported.
"""

import sys

if __name__ != "__main__":
    raise ImportError("maddpg_lite.train is the command `python -m maddpg_lite.train`; the function is "
                      "`from maddpg_lite import train` (maddpg_lite.training.train)")

from maddpg_lite.training import main  # noqa: E402

sys.exit(main())
