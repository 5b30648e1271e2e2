"""ruff passes on the whole repository, notebooks included."""

import subprocess
import sys

from course_grade.grading import REPO


def test_ruff_passes():
    command = [sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
