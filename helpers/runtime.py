"""Full runs for students, quick runs for the autograder.

When nbgrader executes a notebook to grade it, it sets ``NBGRADER_EXECUTION``;
the course's tests set ``COURSE_QUICK=1`` when they only need to know that a
notebook runs. Long computations (training, full-data baselines) then use a
small subset, so a whole class grades in minutes. Students, and the tests
that check the course's figures, always get the full data.
"""

from __future__ import annotations

import os


def quick_run() -> bool:
    """True when the notebook runs for the autograder or a quick test, not for a student."""
    return bool(os.environ.get("NBGRADER_EXECUTION")) or os.environ.get("COURSE_QUICK") == "1"


def subset_size(full: int, quick: int) -> int:
    """``full`` normally, ``quick`` (at most ``full``) in a quick run."""
    return min(full, quick) if quick_run() else full
