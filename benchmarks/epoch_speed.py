"""Seconds per training epoch: the course's four CNN implementations against the reference code.

A benchmark, not a test: run it by hand on an otherwise idle machine.

    python benchmarks/epoch_speed.py                  # epochs of 50,000 images
    python benchmarks/epoch_speed.py --images 5000    # a quicker look

For each framework it trains the notebooks' model for three epochs as the
notebook does (data normalised once, batches of 128; in PyTorch and
Lightning, each block pooling before its ReLU, as the solutions of 09-11
do) and as the widely copied reference code does (batches of 32, ReLU
then pooling; in PyTorch and Lightning, ``ToTensor`` and ``Normalize``
applied to every image in a ``DataLoader``; in TensorFlow, a per-example
``map``). It prints the
seconds of the steady epoch (the faster of the second and third: the
machine's speed varies, and the faster is the closer to what the code
costs), and the first epoch's extra seconds (tracing, oneDNN's first
calls); images per second and the ratio; and images per second against the
machine's float32 matrix-multiply throughput, measured here with numpy.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings

import numpy as np

from helpers.frameworks import import_torch_then_tensorflow

torch, tf, keras = import_torch_then_tensorflow()
import lightning as L  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Subset, TensorDataset  # noqa: E402
from torchvision import transforms  # noqa: E402

from helpers import protocol  # noqa: E402
from helpers.data import load_mnist, mnist_torchvision_root  # noqa: E402
from helpers.tf_adam import Adam as CoreAdam  # noqa: E402

logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", category=FutureWarning, module=r"lightning\.pytorch\.utilities\._pytree")
warnings.filterwarnings("ignore", message=r".*does not have many workers.*")

# Multiply-accumulates of one forward pass: conv1, conv2, dense1, dense2 (valid padding, 28x28 input).
FORWARD_MACS = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 1600 * 64 + 64 * 10
TRAINING_FLOP_PER_IMAGE = 3 * 2 * FORWARD_MACS  # forward, plus backward for inputs and for weights


def keras_model():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10),
    ])


class TFCNN(tf.Module):
    def __init__(self):
        super().__init__()
        def glorot(shape, k, fan_in, fan_out):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return tf.Variable(tf.random.stateless_uniform(shape, seed=(protocol.SEED, k), minval=-limit, maxval=limit))
        self.conv1_w, self.conv1_b = glorot((3, 3, 1, 32), 1, 9, 288), tf.Variable(tf.zeros(32))
        self.conv2_w, self.conv2_b = glorot((3, 3, 32, 64), 2, 288, 576), tf.Variable(tf.zeros(64))
        self.dense1_w, self.dense1_b = glorot((1600, 64), 3, 1600, 64), tf.Variable(tf.zeros(64))
        self.dense2_w, self.dense2_b = glorot((64, 10), 4, 64, 10), tf.Variable(tf.zeros(10))

    def __call__(self, x):
        x = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, self.conv1_w, 1, "VALID") + self.conv1_b), 2, 2, "VALID")
        x = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, self.conv2_w, 1, "VALID") + self.conv2_b), 2, 2, "VALID")
        x = tf.nn.relu(tf.reshape(x, (-1, 1600)) @ self.dense1_w + self.dense1_b)
        return x @ self.dense2_w + self.dense2_b


class TorchCNN(nn.Module):
    """The course CNN; ``pool_first``: max-pool, then ReLU (the same values: ReLU is monotonic), as 09-11's solutions do."""

    def __init__(self, pool_first):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(1600, 64), nn.Linear(64, 10)
        self.pool_first = pool_first

    def forward(self, x):
        for conv in (self.conv1, self.conv2):
            x = F.relu(F.max_pool2d(conv(x), 2)) if self.pool_first else F.max_pool2d(F.relu(conv(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class KerasEpochTimes(keras.callbacks.Callback):
    """Seconds of each training epoch of Keras' fit."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


class LightningEpochTimes(L.Callback):
    """Seconds of each training epoch of a Lightning Trainer."""

    def __init__(self):
        self.seconds = []

    def on_train_epoch_start(self, trainer, module):
        self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        self.seconds.append(time.perf_counter() - self.start)


class LitCNN(L.LightningModule):
    def __init__(self, notebook):
        super().__init__()
        self.net = TorchCNN(pool_first=notebook)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.cross_entropy(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)


EPOCHS = 3  # the first traces and warms up; the faster of the other two is the steady epoch (the machine's speed varies)


def run_keras(x, y, batch_size) -> list[float]:
    model, times = keras_model(), KerasEpochTimes()
    model.compile(optimizer=keras.optimizers.Adam(protocol.LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, verbose=0, callbacks=[times])
    return times.seconds


def run_tensorflow(dataset) -> list[float]:
    model, optimizer = TFCNN(), CoreAdam(protocol.LEARNING_RATE)
    variables = model.trainable_variables

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=model(xb)))
        optimizer.apply_gradients(tape.gradient(loss, variables), variables)

    def epoch():
        for xb, yb in dataset:
            step(xb, yb)

    return [timed(epoch) for _ in range(EPOCHS)]


def run_torch(loader, notebook, channels_last=False) -> list[float]:
    model = TorchCNN(pool_first=notebook)
    if channels_last:  # the layout 12-14's given code trains in
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.LEARNING_RATE)
    model.train()

    def epoch():
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

    return [timed(epoch) for _ in range(EPOCHS)]


def run_lightning(loader, notebook) -> list[float]:
    times = LightningEpochTimes()
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[times])
    trainer.fit(LitCNN(notebook), loader)
    return times.seconds


def steady(seconds: list[float]) -> tuple[float, float]:
    """(first epoch, steady epoch): the steady epoch is the fastest after the first."""
    return seconds[0], min(seconds[1:])


def timed(function, *arguments) -> float:
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def matmul_gflops(n: int = 2048, repeats: int = 30) -> float:
    """Best float32 matrix-multiply throughput of numpy on this machine, in GFLOP/s (best of ``repeats``, about 2 s)."""
    a, b = np.ones((n, n), np.float32), np.ones((n, n), np.float32)
    a @ b
    best = min(timed(np.matmul, a, b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=protocol.N_TRAIN, help="training images per epoch (default 50,000)")
    args = parser.parse_args()
    n = args.images
    torch.manual_seed(protocol.SEED)
    keras.utils.set_random_seed(protocol.SEED)

    (x_train, y_train), _ = load_mnist()
    x = ((x_train[:n].astype("float32") / 255.0 - protocol.MEAN) / protocol.STD)[..., None]
    y = y_train[:n].astype("int64")
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize((protocol.MEAN,), (protocol.STD,))])
    mnist = torchvision.datasets.MNIST(mnist_torchvision_root(), train=True, download=False, transform=to_tensor)
    per_item = Subset(mnist, range(n))  # the reference: every image converted on every access
    tensors = TensorDataset(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y))

    def normalise(image, label):
        return (tf.cast(image, tf.float32)[..., None] / 255.0 - protocol.MEAN) / protocol.STD, label

    def tf_reference():
        return tf.data.Dataset.from_tensor_slices((x_train[:n], y)).map(normalise).batch(32)

    runs = {
        "Keras": (lambda: run_keras(x, y, protocol.BATCH_SIZE), lambda: run_keras(x, y, 32)),
        "TensorFlow": (lambda: run_tensorflow(tf.data.Dataset.from_tensor_slices((x, y)).batch(protocol.BATCH_SIZE)),
                       lambda: run_tensorflow(tf_reference())),
        "PyTorch": (lambda: run_torch(DataLoader(tensors, batch_size=protocol.BATCH_SIZE, shuffle=True), notebook=True),
                    lambda: run_torch(DataLoader(per_item, batch_size=32, shuffle=True), notebook=False)),
        "Lightning": (lambda: run_lightning(DataLoader(tensors, batch_size=protocol.BATCH_SIZE, shuffle=True), notebook=True),
                      lambda: run_lightning(DataLoader(per_item, batch_size=32, shuffle=True), notebook=False)),
    }
    # The machine's speed varies (other work on the host): its matmul rate is the best measured before and after the trainings.
    peak = matmul_gflops()
    results = {name: (steady(notebook()), steady(reference())) for name, (notebook, reference) in runs.items()}
    variants = {  # (pooling first, channels_last): the notebooks' PyTorch models
        "ReLU, then pooling (09-11 before issue 18)": (False, False),
        "ReLU, then pooling, channels_last (12, 13)": (False, True),
        "pooling, then ReLU, channels_last (14)": (True, True),
    }
    others = {what: steady(run_torch(DataLoader(tensors, batch_size=protocol.BATCH_SIZE, shuffle=True), pool_first, channels_last))
              for what, (pool_first, channels_last) in variants.items()}
    peak = max(peak, matmul_gflops())
    print(f"{n:,} images per epoch; {os.cpu_count()} CPU cores; numpy float32 matmul: {peak:.0f} GFLOP/s (best before and after); "
          f"{TRAINING_FLOP_PER_IMAGE / 1e6:.1f} MFLOP per training image")
    print(f"seconds of the steady epoch, the faster of epochs 2 to {EPOCHS}; 'first +s': the first epoch's extra seconds "
          "(tracing, first calls)")
    header = ("framework", "notebook s", "first +s", "reference s", "first +s", "ratio", "notebook img/s", "reference img/s",
              "% of matmul")
    widths = (10, 11, 9, 12, 9, 6, 15, 16, 12)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths)))
    for name, ((ours_first, ours), (theirs_first, theirs)) in results.items():
        rate = n / ours
        print(f"{name:>10} {ours:>11.1f} {ours_first - ours:>9.1f} {theirs:>12.1f} {theirs_first - theirs:>9.1f} {theirs / ours:>6.1f} "
              f"{rate:>15,.0f} {n / theirs:>16,.0f} {100 * rate * TRAINING_FLOP_PER_IMAGE / 1e9 / peak:>11.1f}%", flush=True)
    after = results["PyTorch"][0][1]
    print(f"PyTorch's notebook loop, other models, against pooling then ReLU, channels first (09-11's solutions, {after:.1f} s):")
    for what, (_, seconds) in others.items():
        print(f"  {what:<44} {seconds:>5.1f} s, {seconds / after:.2f} times")


if __name__ == "__main__":
    main()
