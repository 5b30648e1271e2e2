"""Importing TensorFlow quietly, and PyTorch and TensorFlow into one process in the order that is safe.

Not part of any lesson. TensorFlow's C++ core writes start-up notes (oneDNN
round-off, absl) straight to file descriptor 2, whatever its log level, so
they would land in the notebook as standard error: :func:`quiet_tensorflow_start`
imports it with that descriptor pointed at /dev/null. TensorFlow imported
before anything that loads triton (torchvision, lightning, ``torch._dynamo``,
which ``torch.optim`` imports lazily) can crash the process with a
segmentation fault: :func:`import_torch_then_tensorflow` imports the torch
side completely first.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _descriptor_2_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_tensorflow_start():
    """Import TensorFlow and Keras with TensorFlow's C++ start-up notes kept off standard error; return ``(tensorflow, keras)``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # and its later C++ messages, but errors
    with _descriptor_2_silenced():
        import keras
        import tensorflow
    return tensorflow, keras


def import_torch_then_tensorflow():
    """Import torch (with ``torch._dynamo``, torchvision, lightning), then TensorFlow and Keras.

    Returns the modules ``(torch, tensorflow, keras)``.
    """
    import lightning  # noqa: F401 (loads triton, like the two below)
    import torch
    import torch._dynamo  # noqa: F401
    import torchvision  # noqa: F401

    tensorflow, keras = quiet_tensorflow_start()
    return torch, tensorflow, keras
