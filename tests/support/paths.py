"""Where things are for the tests: the repository, the fixture files, and the screenshots and
figures the tests leave for people to look at."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = REPO / "tests" / "artifacts"  # git-ignored
