"""Synthetic students for 02_invariance: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # pad with a full image of zeros on every side, then crop the window the shift selects
    "shift_images": '''
def shift_images(images, dy, dx):
    images = np.asarray(images)
    height, width = images.shape[-2:]
    dy, dx = int(np.clip(dy, -height, height)), int(np.clip(dx, -width, width))
    padded = np.pad(images, [(0, 0)] * (images.ndim - 2) + [(height, height), (width, width)])
    return padded[..., height - dy : 2 * height - dy, width - dx : 2 * width - dx].copy()
''',
    # no padding: each of the four neighbours is read at clipped indices and weighted 0 where it lies outside
    "rotate_images": '''
def rotate_images(images, angle):
    images = np.asarray(images, dtype=np.float64)
    height, width = images.shape[-2:]
    t = np.radians(angle)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    cy, cx = (height - 1) / 2, (width - 1) / 2
    src_r = cy + np.sin(t) * (cols - cx) + np.cos(t) * (rows - cy)
    src_c = cx + np.cos(t) * (cols - cx) - np.sin(t) * (rows - cy)
    r0, c0 = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
    fr, fc = src_r - r0, src_c - c0
    out = np.zeros(images.shape)
    for rr, cc, weight in [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                           (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]:
        inside = (rr >= 0) & (rr < height) & (cc >= 0) & (cc < width)
        out += np.where(inside, weight, 0.0) * images[..., np.clip(rr, 0, height - 1), np.clip(cc, 0, width - 1)]
    return out
''',
    # np.power on a float copy; the rectangle as a boolean mask and np.where
    "relight_occlude": '''
def relight(images, gain=1.0, gamma=1.0):
    scaled = np.asarray(images).astype(np.float64) / 255
    return np.power(scaled, gamma) * (255 * gain)


def occlude(images, top, left, height, width, value=0):
    images = np.asarray(images)
    rows = np.arange(images.shape[-2])[:, None]
    cols = np.arange(images.shape[-1])[None, :]
    inside = (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)
    return np.where(inside, np.asarray(value, dtype=images.dtype), images)
''',
    # einsum for the norms, np.add.outer for the broadcast, np.clip for the clipping
    "pairwise_sq_distances": '''
def pairwise_sq_distances(a, b):
    a, b = np.asarray(a).astype(np.float64), np.asarray(b).astype(np.float64)
    a_sq = np.einsum("nd,nd->n", a, a)
    b_sq = np.einsum("md,md->m", b, b)
    return np.clip(np.add.outer(a_sq, b_sq) - 2 * np.dot(a, b.T), 0, None)
''',
    # batches from np.array_split, norms by einsum, a list of hits averaged and converted to float
    "one_nn_accuracy": '''
def one_nn_accuracy(train_x, train_y, test_x, test_y, transform=None, batch_size=500):
    if transform is not None:
        test_x = transform(test_x)
    train = np.asarray(train_x).reshape(len(train_x), -1).astype(np.float32)
    test = np.asarray(test_x).reshape(len(test_x), -1).astype(np.float32)
    train_norms = np.einsum("nd,nd->n", train, train)
    labels = np.asarray(test_y)
    hits = []
    starts = range(0, len(test), batch_size)
    for start, block in zip(starts, np.array_split(test, range(batch_size, len(test), batch_size))):
        nearest = np.argmin(-2 * (block @ train.T) + train_norms, axis=1)
        hits.extend(np.take(np.asarray(train_y), nearest) == labels[start : start + len(block)])
    return float(np.mean(hits))
''',
    # square markers, a dotted chance line from ax.hlines across the shifts, limits with a margin, other labels
    "plot_accuracy_vs_shift": '''
def plot_accuracy_vs_shift(shifts, accuracies, chance=0.1):
    fig, ax = plt.subplots()
    ax.plot(shifts, accuracies, "s-", label="measured")
    ax.hlines(chance, min(shifts), max(shifts), linestyles=":", colors="black", label="guessing")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("shift to the right, in pixels")
    ax.set_ylabel("1-NN accuracy")
    ax.set_title("raw pixels do not tolerate shifts")
    ax.legend()
    return fig
''',
}

WRONG = {
    "shift_images": '''
# np.roll: the pixels that leave one side come back in on the other, instead of zeros coming in
def shift_images(images, dy, dx):
    return np.roll(np.asarray(images), (dy, dx), axis=(-2, -1))
''',
    "rotate_images": '''
# assumes square images: the centre's column cx is taken from the height
def rotate_images(images, angle):
    images = np.asarray(images, dtype=np.float64)
    height, width = images.shape[-2:]
    theta = np.deg2rad(angle)
    cy = cx = height / 2 - 0.5
    r, c = np.indices((height, width), dtype=np.float64)
    source_c = cx + np.cos(theta) * (c - cx) - np.sin(theta) * (r - cy)
    source_r = cy + np.sin(theta) * (c - cx) + np.cos(theta) * (r - cy)
    r0, c0 = np.floor(source_r).astype(np.int64), np.floor(source_c).astype(np.int64)
    a, b = source_r - r0, source_c - c0
    padded = np.pad(images, [(0, 0)] * (images.ndim - 2) + [(1, 1), (1, 1)])

    def pixel(rr, cc):
        return padded[..., np.clip(rr + 1, 0, height + 1), np.clip(cc + 1, 0, width + 1)]

    return ((1 - a) * (1 - b) * pixel(r0, c0) + (1 - a) * b * pixel(r0, c0 + 1)
            + a * (1 - b) * pixel(r0 + 1, c0) + a * b * pixel(r0 + 1, c0 + 1))
''',
    "relight_occlude": '''
# occlude paints into the caller's images (no copy), so its input changes
def relight(images, gain=1.0, gamma=1.0):
    return gain * 255.0 * (np.asarray(images, dtype=np.float64) / 255.0) ** gamma


def occlude(images, top, left, height, width, value=0):
    images[..., top : top + height, left : left + width] = value
    return images
''',
    "pairwise_sq_distances": '''
# no clipping at 0: rounding leaves small negative squared distances where a distance is 0
def pairwise_sq_distances(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a**2).sum(axis=1)[:, None] - 2 * a @ b.T + (b**2).sum(axis=1)[None, :]
''',
    "one_nn_accuracy": '''
# returns np.mean(...), a numpy.float64, not the Python float the text asks for
def one_nn_accuracy(train_x, train_y, test_x, test_y, transform=None, batch_size=500):
    if transform is not None:
        test_x = transform(test_x)
    train = np.asarray(train_x, dtype=np.float32).reshape(len(train_x), -1)
    test = np.asarray(test_x, dtype=np.float32).reshape(len(test_x), -1)
    train_sq = (train**2).sum(axis=1)
    predictions = np.concatenate([np.asarray(train_y)[np.argmin(train_sq - 2 * test[s : s + batch_size] @ train.T, axis=1)]
                                  for s in range(0, len(test), batch_size)])
    return np.mean(predictions == np.asarray(test_y))
''',
    "plot_accuracy_vs_shift": '''
# no x data: ax.plot(accuracies) puts the points at x = 0, 1, 2, ..., whatever the shifts
def plot_accuracy_vs_shift(shifts, accuracies, chance=0.1):
    fig, ax = plt.subplots()
    ax.plot(accuracies, marker="o")
    ax.axhline(chance, linestyle="--", color="grey")
    ax.set_xlabel("shift (pixels)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    return fig
''',
}
