"""pytest setup shared by the unit tests and the notebooks (run through nbval).

The test command runs everything in quick mode: long training runs shrink but still
perform real update rounds. Notebook kernels inherit this environment variable.
"""

import os

os.environ.setdefault("MADDPG_LITE_QUICK", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # this process only; notebook kernels keep their inline backend
