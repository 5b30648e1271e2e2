"""Test-wide settings for this process and the notebook kernels it starts.

Plots are headless. The suite runs on two workers (``-n 2``), each executing
notebooks in its own kernel, so each kernel gets one thread: two kernels
with two threads each on two cores slow PyTorch's and TensorFlow's
spin-waiting thread pools down several times over.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(variable, "1")
