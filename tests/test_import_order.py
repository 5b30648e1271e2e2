"""The import order the course uses for torch and TensorFlow in one process is safe."""

import ast
import subprocess
import sys

import nbformat
import pytest

from course_grade import grading

TORCH_SIDE = {"torch", "torchvision", "lightning", "pytorch_lightning", "torchmetrics"}
TF_SIDE = {"tensorflow", "keras"}

EXERCISE_BOTH = """
from helpers.frameworks import import_torch_then_tensorflow
torch, tf, keras = import_torch_then_tensorflow()
import numpy as np
net = torch.nn.Linear(4, 3)
optimizer = torch.optim.Adam(net.parameters())  # imports torch._dynamo lazily: the crash site in the wrong order
net(torch.ones(2, 4)).sum().backward()
optimizer.step()
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer="adam", loss="mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 3), "float32"), epochs=1, verbose=0)
with tf.GradientTape() as tape:
    v = tf.Variable(1.0)
    loss = v * v
print("ok", float(tape.gradient(loss, v)))
"""


def test_torch_then_tensorflow_runs_both_frameworks():
    result = subprocess.run([sys.executable, "-c", EXERCISE_BOTH], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"exit code {result.returncode}\n{result.stderr[-3000:]}"
    assert result.stdout.split() == ["ok", "2.0"]


def import_events(source: str) -> list[str]:
    """In order: each imported top-level module, and "SAFE" where the safe import helper is called."""
    events = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            events += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            events.append(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_torch_then_tensorflow":
            events.append("SAFE")
    return events


@pytest.mark.parametrize("name", grading.solution_names())
def test_notebooks_that_use_both_import_them_safely(name):
    """A notebook that uses torch and TensorFlow calls helpers.frameworks.import_torch_then_tensorflow() before any TF import."""
    nb = nbformat.read(grading.SOLUTIONS / f"{name}.ipynb", as_version=4)
    events = [e for cell in nb.cells if cell.cell_type == "code" for e in import_events(cell.source)]
    if not (TORCH_SIDE & set(events) and TF_SIDE & set(events)):
        return
    assert "SAFE" in events, f"{name} uses torch and TensorFlow: import them with helpers.frameworks.import_torch_then_tensorflow()"
    early = [e for e in events[: events.index("SAFE")] if e in TF_SIDE | TORCH_SIDE]
    assert not early, f"{name} imports {early} before import_torch_then_tensorflow()"
