"""Test-wide settings: headless plotting, and no TensorFlow-before-triton crash."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
