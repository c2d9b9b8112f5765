"""Test-only hooks. The browser tests (tests/test_browser.py) skip themselves when chromium or
playwright is missing; pytest hides skip reasons by default, so say it here in one line."""


def pytest_terminal_summary(terminalreporter):
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        if report.nodeid.split("::")[0].endswith("test_browser.py") and isinstance(report.longrepr, tuple):
            reasons.add(report.longrepr[2].removeprefix("Skipped: "))
    for reason in sorted(reasons):
        terminalreporter.write_line(reason)
