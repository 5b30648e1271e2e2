"""Importing PyTorch and TensorFlow into one process, in the order that is safe.

Not part of any lesson. TensorFlow imported before anything that loads
triton (torchvision, lightning, ``torch._dynamo``, which ``torch.optim``
imports lazily) can crash the process with a segmentation fault. Importing
the torch side completely first avoids it.
"""

from __future__ import annotations

import os


def import_torch_then_tensorflow():
    """Import torch (with ``torch._dynamo``, torchvision, lightning), then TensorFlow and Keras.

    Returns the modules ``(torch, tensorflow, keras)``. TensorFlow's C++
    start-up messages are kept off standard error.
    """
    import lightning  # noqa: F401 (loads triton, like the two below)
    import torch
    import torch._dynamo  # noqa: F401
    import torchvision  # noqa: F401

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import tensorflow

    return torch, tensorflow, keras
