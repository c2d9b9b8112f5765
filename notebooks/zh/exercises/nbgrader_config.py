"""nbgrader's configuration for the maddpg-lite exercise sets (read by every `nbgrader` command).

The course layout is nbgrader's: one source notebook per exercise set in source/<set>/, with solution
regions (### BEGIN SOLUTION / ### END SOLUTION) and autograded checker cells whose hidden tests
(### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS) assert that the checker passed.
`python -m maddpg_lite.assignments` runs nbgrader with this file in a scratch course directory and
copies the student versions to notebooks/exercises/ and the solutions to notebooks/exercises/solutions/.
To grade a class, copy this file and source/ into your course directory (see README.md here).
"""

from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions,
                                    ComputeChecksums, IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells)

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "maddpg-lite"

# The stub that replaces each solution region: "Run all" then reaches every checker, which reports
# "NOT IMPLEMENTED YET" instead of crashing.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("练习：在这里写你的代码")'}

# Cells tagged "solution-only" (the answers to the questions, the instructor note) are in the source and
# the solution version, and removed from the student version: nbgrader's own pipeline plus nbconvert's
# standard TagRemovePreprocessor, placed first.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {"solution-only"}
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor, IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums,
    CheckCellMetadata]  # nbgrader 0.9.6's default list, after TagRemovePreprocessor

# generate_solution without its final Execute step: the repository keeps every notebook without outputs
# (the tests run them). Delete this setting to get executed solutions for your students.
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]

# One cell may run for at most this many seconds when autograding (nbgrader's default, stated here because
# the capstone's "learns" check is sized to fit it: a few seconds on a busy 2-core machine).
c.Execute.timeout = 30
