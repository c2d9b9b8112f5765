"""Test-only hooks. Tests that need what only CI and instructors install (chromium and playwright,
nbgrader, Dask, ruff, import-linter) skip themselves without it; pytest hides skip reasons by
default, so each distinct reason is said here, in one line, with how many tests it skipped."""

from collections import Counter


def pytest_terminal_summary(terminalreporter):
    reasons = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            reasons[report.longrepr[2].removeprefix("Skipped: ")] += 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"skipped {count}: {reason}")
