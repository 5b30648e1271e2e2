"""Synthetic students for 03_features_hog_sift: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "gradient_orientation_bins": '''
def gradient_orientation_bins(images, orientations=9):
    """Zero padding and full-size differences, borders zeroed afterwards; folding by adding 180; floor division."""
    images = np.array(images, dtype=np.float64)
    padding = [(0, 0)] * (images.ndim - 2) + [(1, 1), (1, 1)]
    padded = np.pad(images, padding)
    g_r = padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]
    g_c = padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]
    g_r[..., 0, :] = 0.0
    g_r[..., -1, :] = 0.0
    g_c[..., :, 0] = 0.0
    g_c[..., :, -1] = 0.0
    magnitude = np.sqrt(g_r * g_r + g_c * g_c)
    degrees = np.degrees(np.arctan2(g_r, g_c))
    degrees = np.where(degrees < 0, degrees + 180.0, degrees)
    degrees = np.where(degrees >= 180.0, degrees - 180.0, degrees)
    bins = np.clip(degrees // (180.0 / orientations), 0, orientations - 1).astype(np.int64)
    return magnitude, bins
''',
    "cell_histograms": '''
def cell_histograms(magnitude, bins, cell_size, orientations=9):
    """Reshape into cells and sum magnitude * (bins == k), one bin at a time."""
    magnitude = np.asarray(magnitude, dtype=np.float64)
    bins = np.asarray(bins)
    lead = magnitude.shape[:-2]
    n_rows, n_cols = magnitude.shape[-2] // cell_size, magnitude.shape[-1] // cell_size
    shape = (*lead, n_rows, cell_size, n_cols, cell_size)
    m = magnitude[..., : n_rows * cell_size, : n_cols * cell_size].reshape(shape)
    b = bins[..., : n_rows * cell_size, : n_cols * cell_size].reshape(shape)
    per_bin = [np.sum(m * (b == k), axis=(-3, -1)) for k in range(orientations)]
    return np.stack(per_bin, axis=-1) / float(cell_size * cell_size)
''',
    "block_normalize": '''
def block_normalize(histograms, block_size=2, eps=1e-5):
    """A loop over block positions, vectorised over the batch; einsum for the squared lengths."""
    h = np.asarray(histograms, dtype=np.float64)
    n_rows, n_cols = h.shape[-3] - block_size + 1, h.shape[-2] - block_size + 1
    out = np.empty(h.shape[:-3] + (n_rows, n_cols, block_size, block_size, h.shape[-1]))
    for i in range(n_rows):
        for j in range(n_cols):
            block = h[..., i : i + block_size, j : j + block_size, :]
            v = block.reshape(*block.shape[:-3], -1)
            v = v / np.sqrt(np.einsum("...i,...i->...", v, v) + eps * eps)[..., None]
            v = np.clip(v, None, 0.2)
            v = v / np.sqrt(np.einsum("...i,...i->...", v, v) + eps * eps)[..., None]
            out[..., i, j, :, :, :] = v.reshape(block.shape)
    return out
''',
    "hog_features": '''
def hog_features(images, orientations=9, cell_size=8, block_size=2):
    """One image becomes a batch of one; each batch row flattened."""
    images = np.asarray(images)
    if images.ndim == 2:
        return hog_features(images[np.newaxis], orientations, cell_size, block_size)[0]
    magnitude, bins = gradient_orientation_bins(images, orientations)
    histograms = cell_histograms(magnitude, bins, cell_size, orientations)
    blocks = block_normalize(histograms, block_size=block_size)
    return blocks.reshape(len(images), -1)
''',
    "ratio_test_matches": '''
def ratio_test_matches(desc1, desc2, max_ratio=0.8):
    """A loop over the first set, distances with numpy, a stable sort for the two nearest."""
    desc1 = np.asarray(desc1, dtype=np.float64)
    desc2 = np.asarray(desc2, dtype=np.float64)
    pairs = []
    for i, d in enumerate(desc1):
        distances = np.sqrt(np.sum((desc2 - d) ** 2, axis=1))
        order = np.argsort(distances, kind="stable")
        d1, d2 = distances[order[0]], distances[order[1]]
        if d2 == 0:
            d2 = np.finfo(np.float64).eps
        if d1 / d2 < max_ratio:
            pairs.append((i, int(order[0])))
    return np.array(pairs, dtype=np.int32).reshape(-1, 2)
''',
    "feature_classifier": '''
def feature_classifier(extract, C):
    """make_pipeline names the steps; LinearSVC's default solver (dual="auto", the primal here)."""
    from sklearn.pipeline import make_pipeline

    return make_pipeline(FunctionTransformer(extract), LinearSVC(C=C))
''',
}

WRONG = {
    "gradient_orientation_bins": '''
# no conversion to float: differences of uint8 pixels wrap around (stored into float64 arrays afterwards)
def gradient_orientation_bins(images, orientations=9):
    images = np.asarray(images)
    g_row, g_col = np.zeros(images.shape), np.zeros(images.shape)
    g_row[..., 1:-1, :] = images[..., 2:, :] - images[..., :-2, :]
    g_col[..., :, 1:-1] = images[..., :, 2:] - images[..., :, :-2]
    magnitude = np.hypot(g_row, g_col)
    angle = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    bins = np.minimum(np.floor(angle / (180 / orientations)).astype(np.int64), orientations - 1)
    return magnitude, bins
''',
    "cell_histograms": '''
# sums per cell and bin, but not divided by cell_size**2 (block normalisation hides it; the histograms are wrong)
def cell_histograms(magnitude, bins, cell_size, orientations=9):
    magnitude, bins = np.asarray(magnitude, dtype=np.float64), np.asarray(bins)
    *lead, height, width = magnitude.shape
    n_rows, n_cols = height // cell_size, width // cell_size
    shape = (*lead, n_rows, cell_size, n_cols, cell_size)
    m = magnitude[..., : n_rows * cell_size, : n_cols * cell_size].reshape(shape)
    b = bins[..., : n_rows * cell_size, : n_cols * cell_size].reshape(shape)
    return np.stack([np.sum(m * (b == k), axis=(-3, -1)) for k in range(orientations)], axis=-1)
''',
    "block_normalize": '''
# clips at 0.2 but does not normalise again
def block_normalize(histograms, block_size=2, eps=1e-5):
    histograms = np.asarray(histograms, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(histograms, (block_size, block_size), axis=(-3, -2))
    blocks = np.moveaxis(windows, -3, -1)
    blocks = blocks / np.sqrt(np.sum(blocks**2, axis=(-3, -2, -1), keepdims=True) + eps**2)
    return np.minimum(blocks, 0.2)
''',
    "hog_features": '''
# does not pass block_size on: always 2x2 blocks
def hog_features(images, orientations=9, cell_size=8, block_size=2):
    magnitude, bins = gradient_orientation_bins(images, orientations)
    blocks = block_normalize(cell_histograms(magnitude, bins, cell_size, orientations))
    return blocks.reshape(*np.shape(images)[:-2], -1)
''',
    "ratio_test_matches": '''
# d1 < max_ratio * d2: rejects a descriptor that occurs twice in desc2 (d2 = 0), which scikit-image keeps
def ratio_test_matches(desc1, desc2, max_ratio=0.8):
    from scipy.spatial.distance import cdist

    distances = cdist(desc1, desc2)
    rows = np.arange(len(distances))
    nearest = np.argmin(distances, axis=1)
    best = distances[rows, nearest]
    distances[rows, nearest] = np.inf
    keep = best < max_ratio * distances.min(axis=1)
    return np.column_stack([rows[keep], nearest[keep]])
''',
    "feature_classifier": '''
# ignores C: LinearSVC's default C=1.0
def feature_classifier(extract, C):
    return Pipeline([("features", FunctionTransformer(extract)), ("svm", LinearSVC(dual=True, max_iter=5000, random_state=0))])
''',
}

# hog_features is exercises 1-3 in a row (its text says so): a wrong gradient or block normalisation makes it wrong too.
LOSES = {
    "gradient_orientation_bins": ["test_gradient_orientation_bins", "test_hog_features"],
    "block_normalize": ["test_block_normalize", "test_hog_features"],
}

CORRECT["window_boxes"] = '''
def window_boxes(image_shape, window_shape, step, scale=1.0):
    """Loops over the positions, a list of tuples, scaled one box at a time."""
    height, width = image_shape[0], image_shape[1]
    h, w = window_shape
    boxes = []
    r = 0
    while r + h <= height:
        c = 0
        while c + w <= width:
            boxes.append((r * scale, c * scale, (r + h) * scale, (c + w) * scale))
            c += step
        r += step
    return np.array(boxes, dtype=np.float64).reshape(-1, 4)
'''
CORRECT["non_max_suppression"] = '''
def non_max_suppression(boxes, scores, iou_threshold):
    """The full IoU matrix first, then a pass in score order over a boolean 'suppressed' array."""
    b = np.asarray(boxes, dtype=np.float64)
    n = len(b)
    heights = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    widths = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    inter = heights * widths
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iou = inter / (area[:, None] + area[None, :] - inter)
    suppressed = np.zeros(n, dtype=bool)
    keep = []
    for i in sorted(range(n), key=lambda k: -float(scores[k])):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return np.asarray(keep, dtype=np.int64)
'''
WRONG["window_boxes"] = '''
# off by one: np.arange(0, H - h, step) misses the last position, where the window touches the border
def window_boxes(image_shape, window_shape, step, scale=1.0):
    (height, width), (h, w) = image_shape[:2], window_shape
    rows, cols = np.meshgrid(np.arange(0, height - h, step), np.arange(0, width - w, step), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    return scale * np.stack([rows, cols, rows + h, cols + w], axis=1).astype(np.float64)
'''
WRONG["non_max_suppression"] = '''
# one pass: drops only the boxes that overlap the best box, never those that overlap a later kept box
def non_max_suppression(boxes, scores, iou_threshold):
    boxes = np.asarray(boxes, dtype=np.float64)
    order = np.argsort(-np.asarray(scores, dtype=np.float64))
    best = boxes[order[0]]
    top_left = np.maximum(best[:2], boxes[order, :2])
    bottom_right = np.minimum(best[2:], boxes[order, 2:])
    overlap = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    areas = (boxes[order, 2] - boxes[order, 0]) * (boxes[order, 3] - boxes[order, 1])
    iou = overlap / ((best[2] - best[0]) * (best[3] - best[1]) + areas - overlap)
    keep = [order[0]] + [k for k, v in zip(order[1:], iou[1:]) if v <= iou_threshold]
    return np.array(keep, dtype=np.int64)
'''
