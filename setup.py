"""The one build step pyproject.toml cannot say: the course (lessons, appendices, glossary, the students'
exercise sets and the figures, :data:`maddpg_lite.paths.COURSE_FILES`, both languages) lives next to the
package in the repository, and goes into the wheel as ``maddpg_lite/course/``, in the repository's layout
(``course/notebooks/...``, ``course/figures/...``). Everything else about the build is in pyproject.toml.

``build_course`` is a build sub-command (setuptools' ``SubCommand`` protocol): its ``get_source_files`` puts
the same files into the sdist, at their places in the repository, so a wheel built from the sdist is the wheel
built from the checkout (``python -m build`` makes the sdist, then the wheel from it). An editable install
copies nothing: a checkout finds its lessons where they are (:func:`maddpg_lite.paths.course_root`).
"""

import os
import runpy
import shutil
from pathlib import Path

from setuptools import Command, setup
from setuptools.command.build import build

HERE = Path(__file__).resolve().parent
# paths.py needs nothing but the standard library, so the build reads the one list from it
course_files = runpy.run_path(str(HERE / "maddpg_lite" / "paths.py"))["course_files"]


class build_course(Command):  # noqa: N801 - a command's class is named as the command
    description = "copy the lessons, exercise sets and figures into the package (maddpg_lite/course/)"
    user_options = []

    def initialize_options(self):
        self.build_lib = None
        self.editable_mode = False

    def finalize_options(self):
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def get_source_files(self):
        return course_files(root=HERE)

    def get_output_mapping(self):
        if self.editable_mode:
            return {}
        return {os.path.join(self.build_lib, "maddpg_lite", "course", rel): rel for rel in self.get_source_files()}

    def get_outputs(self):
        return list(self.get_output_mapping())

    def run(self):
        if self.editable_mode:
            return
        # a build folder left from an earlier build must not keep a notebook the checkout no longer has
        shutil.rmtree(os.path.join(self.build_lib, "maddpg_lite", "course"), ignore_errors=True)
        for target, source in self.get_output_mapping().items():
            self.mkpath(os.path.dirname(target))
            self.copy_file(os.path.join(HERE, source), target)


class build_with_course(build):  # noqa: N801
    sub_commands = build.sub_commands + [("build_course", None)]


setup(cmdclass={"build": build_with_course, "build_course": build_course})
