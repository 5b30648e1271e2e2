"""Synthetic students for 12_invariance_revisited: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # The methods in the outer loop, each perturbed set computed once beforehand; the accuracy as a count over a length.
    "measure_robustness": '''
def measure_robustness(methods, perturbations, images, labels):
    """Accuracy of every method under every perturbation."""
    truth = np.asarray(labels)
    perturbed = {name: perturb(images) for name, perturb in perturbations.items()}
    table = {}
    for method, predict in methods.items():
        row = {}
        for name, batch in perturbed.items():
            hits = np.count_nonzero(np.asarray(predict(batch)) == truth)
            row[name] = int(hits) / len(truth)
        table[method] = row
    return table
''',
    # Tensor.roll with positional dims, the comparison in float64 numpy, the interior cut with explicit indices.
    "equivariance_error": '''
def equivariance_error(feature_map, images, shift, border=0):
    """Relative equivariance error over the interior of the maps."""
    dy, dx = int(shift[0]), int(shift[1])
    with torch.no_grad():
        maps_of_moved = feature_map(images.roll((dy, dx), (2, 3)))
        moved_maps = feature_map(images).roll((dy, dx), (2, 3))
    a = moved_maps.double().numpy()
    b = maps_of_moved.double().numpy()
    h, w = a.shape[2], a.shape[3]
    a = a[:, :, border : h - border, border : w - border]
    b = b[:, :, border : h - border, border : w - border]
    return float(np.max(np.abs(b - a)) / np.max(np.abs(a)))
''',
    # A loop over the images: real-valued angles, scikit-image's rotation, dy and dx drawn separately, the shift by slicing.
    "augment": '''
def augment(images, labels, rng, max_shift=2, max_angle=10):
    """Randomly rotated, then shifted copies; labels unchanged."""
    images = np.asarray(images)
    n, h, w = images.shape
    angles = rng.uniform(-max_angle, max_angle, size=n)
    dys = rng.integers(-max_shift, max_shift, endpoint=True, size=n)
    dxs = rng.integers(-max_shift, max_shift, endpoint=True, size=n)
    out = np.zeros((n, h, w), dtype=np.float32)
    for i in range(n):
        image = images[i].astype(np.float64)
        if max_angle:
            image = transform.rotate(image, angles[i], order=1, preserve_range=True)
        dy, dx = int(dys[i]), int(dxs[i])
        out[i, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)]
    return out, labels
''',
}

WRONG = {
    "measure_robustness": '''
# applies the perturbations one after another, each on top of the ones before it
def measure_robustness(methods, perturbations, images, labels):
    """Accuracy of every method under every perturbation."""
    results = {name: {} for name in methods}
    current = images
    for condition, perturb in perturbations.items():
        current = perturb(current)
        for name, predict in methods.items():
            results[name][condition] = float(np.mean(np.asarray(predict(current)) == np.asarray(labels)))
    return results
''',
    "equivariance_error": '''
# compares the maps of the shifted images with the maps of the originals, not shifted (invariance, not equivariance)
def equivariance_error(feature_map, images, shift, border=0):
    """Relative equivariance error over the interior of the maps."""
    with torch.no_grad():
        of_shifted = feature_map(torch.roll(images, shifts=tuple(shift), dims=(-2, -1)))
        maps = feature_map(images)
    rows, cols = maps.shape[-2:]
    inner = (..., slice(border, rows - border), slice(border, cols - border))
    return float((of_shifted - maps)[inner].abs().max() / maps[inner].abs().max())
''',
    "augment": '''
# rng.integers(-max_shift, max_shift) leaves +max_shift out: the shifts are not symmetric
def augment(images, labels, rng, max_shift=2, max_angle=10):
    """Randomly rotated, then shifted copies; labels unchanged."""
    images = np.asarray(images, dtype=np.float32)
    out = np.zeros_like(images)
    for i, image in enumerate(images):
        angle = rng.integers(-max_angle, max_angle + 1)
        if angle:
            image = ndi.rotate(image, angle, reshape=False, order=1)
        dy, dx = rng.integers(-max_shift, max_shift, size=2)
        out[i] = ndi.shift(image, (dy, dx), order=0, cval=0)
    return out, labels
''',
}
