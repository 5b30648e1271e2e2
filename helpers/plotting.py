"""Figures the course draws again and again.

Each function draws one figure with pyplot (which picks the Agg backend
where there is no display), uses colour-blind-safe colours (the Okabe-Ito
palette for categories, viridis for values, grey for images) and returns the
figure. In a notebook, end the call with ``;`` or assign the result so the
figure is shown once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies
# (their black left out: it vanishes on dark images).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


def _grid(n: int, ncols: int, size: float):
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat


def image_grid(images, labels: Sequence | None = None, ncols: int = 8, cmap: str = "gray", size: float = 1.4, title: str | None = None):
    """Show ``images`` (each (H, W) or (H, W, 3), sizes may differ) in a grid, titled with their labels."""
    images = [np.asarray(image) for image in images]
    fig, axes = _grid(len(images), ncols, size)
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(image, cmap=None if image.ndim == 3 else cmap)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def misclassified(images, y_true, y_pred, n: int = 24, ncols: int = 12, class_names: Sequence[str] | None = None):
    """Grid of the first ``n`` images whose prediction is wrong, titled "true→predicted"."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    name = (lambda k: str(k)) if class_names is None else (lambda k: class_names[k])
    labels = [f"{name(y_true[i])}→{name(y_pred[i])}" for i in wrong]
    title = f"{np.sum(y_true != y_pred)} misclassified; first {len(wrong)}"
    return image_grid(np.asarray(images)[wrong], labels=labels, ncols=ncols, title=title)


def training_curves(history: Mapping[str, Sequence[float]], title: str = "Training curves"):
    """Plot per-epoch metrics: losses on the left, everything else on the right.

    ``history`` maps names such as ``"loss"``, ``"val_loss"``, ``"accuracy"``,
    ``"val_accuracy"`` to one value per epoch (the shape of Keras' ``History.history``).
    """
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    panels = [p for p in (("loss", losses), ("metric", others)) if p[1]]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    for ax, (ylabel, series) in zip(axes.flat, panels):
        for i, (name, values) in enumerate(series.items()):
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", color=OKABE_ITO[i % len(OKABE_ITO)], label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None, normalize: bool = False, title: str = "Confusion matrix"):
    """Confusion matrix with counts (or row fractions) written in each cell."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = int(max(y_true.max(), y_pred.max())) + 1 if class_names is None else len(class_names)
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    values = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    names = [str(i) for i in range(n)] if class_names is None else list(class_names)
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
    shown = ax.imshow(values, cmap="viridis")
    fig.colorbar(shown, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = values.max() / 2
    for (i, j), v in np.ndenumerate(values):
        text = f"{v:.2f}" if normalize else str(v)
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if v > threshold else "white")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def filters(weights, ncols: int = 8, title: str = "Filters"):
    """Show convolution filters (N, H, W), each scaled symmetrically around zero."""
    weights = np.asarray(weights, dtype=np.float64)
    fig, axes = _grid(len(weights), ncols, 1.2)
    for ax, w in zip(axes, weights):
        limit = np.abs(w).max() or 1.0
        ax.imshow(w, cmap="PuOr", vmin=-limit, vmax=limit)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def feature_maps(maps, names: Sequence[str] | None = None, ncols: int = 8, title: str = "Feature maps"):
    """Show feature maps (C, H, W), one panel per channel."""
    return image_grid(maps, labels=names, ncols=ncols, cmap="viridis", size=1.6, title=title)


def boxes_and_masks(
    image, boxes: Sequence = (), labels: Sequence[str] | None = None, masks: Sequence | None = None, title: str | None = None, ax=None
):
    """Draw ``image`` with boxes ``(row0, col0, row1, col1)`` and translucent masks.

    Boxes follow scikit-image's convention: rows then columns, the end
    exclusive. Box ``i`` and mask ``i`` share colour ``i`` of the palette;
    box labels, if given, go in a legend beside the image.
    """
    fig, ax = plt.subplots(figsize=(5, 5)) if ax is None else (ax.figure, ax)
    image = np.asarray(image)
    ax.imshow(image, cmap=None if image.ndim == 3 else "gray")
    for i, mask in enumerate(masks if masks is not None else ()):
        overlay = np.zeros((*np.shape(mask), 4))
        overlay[np.asarray(mask, dtype=bool)] = (*to_rgb(OKABE_ITO[i % len(OKABE_ITO)]), 0.45)
        ax.imshow(overlay)
    for i, (r0, c0, r1, c1) in enumerate(boxes):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        label = None if labels is None else str(labels[i])
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, edgecolor=colour, linewidth=2, label=label))
    if labels is not None and len(boxes):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
