"""helpers.plotting: every function returns a Figure, renders headless and draws what it says."""

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sklearn.metrics
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from helpers import plotting

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rendered(fig) -> Figure:
    """``fig`` after checking it is a Figure that renders to PNG."""
    assert isinstance(fig, Figure)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    return fig


def shown(fig) -> list:
    """The images drawn in ``fig``, axes by axes."""
    return [image for ax in fig.axes for image in ax.get_images()]


def test_image_grid_one_image_per_input_titled_with_labels():
    images = [RNG.random((28, 28)) for _ in range(5)] + [RNG.random((10, 14, 3))]
    fig = rendered(plotting.image_grid(images, labels=list("abcdef"), ncols=4, title="digits"))
    assert len(fig.axes) == 8  # 2 rows of 4, the last two left empty
    drawn = shown(fig)
    assert len(drawn) == 6
    for image, source in zip(drawn, images):
        np.testing.assert_array_equal(image.get_array(), source)
    assert [im.get_cmap().name for im in drawn[:5]] == ["gray"] * 5
    assert [ax.get_title() for ax in fig.axes] == [*"abcdef", "", ""]
    assert not any(ax.axison for ax in fig.axes)
    assert fig.get_suptitle() == "digits"


def test_image_grid_without_labels_and_fewer_images_than_columns():
    fig = rendered(plotting.image_grid(np.zeros((3, 5, 5))))
    assert len(fig.axes) == len(shown(fig)) == 3
    assert all(ax.get_title() == "" for ax in fig.axes)


def test_feature_maps_one_viridis_panel_per_channel():
    maps = RNG.standard_normal((6, 9, 9))
    fig = rendered(plotting.feature_maps(maps, names=[f"c{i}" for i in range(6)], ncols=3))
    drawn = shown(fig)
    assert len(drawn) == 6 and {im.get_cmap().name for im in drawn} == {"viridis"}
    assert [ax.get_title() for ax in fig.axes] == [f"c{i}" for i in range(6)]
    assert fig.get_suptitle() == "Feature maps"


def test_training_curves_one_line_per_series_losses_left():
    history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6], "accuracy": [0.6, 0.8, 0.9], "val_accuracy": [0.5, 0.7, 0.8]}
    fig = rendered(plotting.training_curves(history))
    left, right = fig.axes
    assert [line.get_label() for line in left.get_lines()] == ["loss", "val_loss"]
    assert [line.get_label() for line in right.get_lines()] == ["accuracy", "val_accuracy"]
    for line in [*left.get_lines(), *right.get_lines()]:
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(line.get_ydata(), history[line.get_label()])
    assert (left.get_ylabel(), right.get_ylabel()) == ("loss", "metric")
    assert fig.get_suptitle() == "Training curves"


def test_training_curves_single_panel_and_many_series():
    history = {f"metric_{i}": RNG.random(4).tolist() for i in range(9)}
    fig = rendered(plotting.training_curves(history, title="nine"))
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(history)
    assert len({line.get_color() for line in lines}) == len(plotting.OKABE_ITO)


@pytest.mark.parametrize("normalize", [False, True])
def test_confusion_matrix_cells_match_sklearn(normalize):
    y_true = RNG.integers(0, 5, 200)
    y_pred = np.where(RNG.random(200) < 0.7, y_true, RNG.integers(0, 5, 200))
    names = ["cat", "dog", "fox", "owl", "yak"]
    fig = rendered(plotting.confusion_matrix(y_true, y_pred, class_names=names, normalize=normalize))
    ax = fig.axes[0]
    expected = sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(5), normalize="true" if normalize else None)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert len(cells) == len(ax.texts) == 25
    for (i, j), value in np.ndenumerate(expected):
        assert cells[i, j] == (f"{value:.2f}" if normalize else str(value))
    np.testing.assert_allclose(ax.get_images()[0].get_array(), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")


def test_confusion_matrix_infers_classes_and_keeps_empty_rows():
    fig = rendered(plotting.confusion_matrix([0, 0, 2], [0, 2, 2], normalize=True))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert [t.get_text() for t in ax.texts] == ["0.50", "0.00", "0.50", "0.00", "0.00", "0.00", "0.00", "0.00", "1.00"]


def test_filters_symmetric_colour_limits():
    weights = RNG.standard_normal((5, 3, 3))
    weights[3] = 0.0
    fig = rendered(plotting.filters(weights, ncols=3))
    drawn = shown(fig)
    assert len(drawn) == 5 and len(fig.axes) == 6
    for image, w in zip(drawn, weights):
        limit = np.abs(w).max() or 1.0
        assert image.get_clim() == (-limit, limit)
        np.testing.assert_array_equal(image.get_array(), w)
    assert drawn[3].get_clim() == (-1.0, 1.0)
    assert fig.get_suptitle() == "Filters"


def test_boxes_and_masks_one_rectangle_per_box_and_overlay_per_mask():
    image = RNG.random((40, 50))
    boxes = [(5, 10, 20, 30), (25, 0, 40, 12)]
    masks = [np.zeros((40, 50), dtype=bool) for _ in boxes]
    masks[0][6:19, 11:29] = True
    masks[1][30:35, 2:8] = True
    fig = rendered(plotting.boxes_and_masks(image, boxes, labels=["car", "dog"], masks=masks, title="scene"))
    (ax,) = fig.axes
    rectangles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rectangles) == len(boxes)
    for i, (rect, (r0, c0, r1, c1), mask) in enumerate(zip(rectangles, boxes, masks)):
        colour = plotting.OKABE_ITO[i]
        assert rect.get_xy() == (c0 - 0.5, r0 - 0.5)
        assert (rect.get_width(), rect.get_height()) == (c1 - c0, r1 - r0)
        assert rect.get_edgecolor() == to_rgba(colour) and not rect.get_fill()
        overlay = ax.get_images()[1 + i].get_array()
        assert overlay.shape == (40, 50, 4)
        np.testing.assert_array_equal(overlay[..., 3] > 0, mask)
        np.testing.assert_allclose(overlay[mask][:, :3], np.broadcast_to(to_rgb(colour), (mask.sum(), 3)))
    assert len(ax.get_images()) == 1 + len(masks)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["car", "dog"]
    assert ax.get_title() == "scene" and not ax.axison


def test_boxes_and_masks_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert rendered(plotting.boxes_and_masks(np.zeros((8, 8, 3)), [(1, 1, 4, 4)], ax=right)) is fig
    assert len(right.patches) == 1 and right.get_legend() is None
    assert not left.get_images() and len(right.get_images()) == 1
