"""Reproducibility: one call seeds every random source the course uses."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, numpy, and torch, TensorFlow and Keras if imported.

    Call it after the imports: frameworks are seeded only when already
    imported, so this never imports TensorFlow or torch itself (importing
    TensorFlow before torch's triton can crash the process).
    """
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
