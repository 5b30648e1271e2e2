"""Synthetic students for 05_bag_of_words: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # fancy indexing with index grids instead of one slice per position
    "extract_patches": '''
def extract_patches(images, size, step):
    images = np.asarray(images)
    n, h, w = images.shape
    tops = np.arange(0, h - size + 1, step)
    lefts = np.arange(0, w - size + 1, step)
    r0, c0 = np.meshgrid(tops, lefts, indexing="ij")
    dr, dc = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    rows = r0.reshape(-1, 1) + dr.reshape(1, -1)  # (positions, size * size)
    cols = c0.reshape(-1, 1) + dc.reshape(1, -1)
    return images[:, rows, cols]
''',
    # the squared norm by einsum, the dtype chosen up front, the mean as a sum divided by D
    "normalise_patches": '''
def normalise_patches(patches, eps=0.01):
    patches = np.asarray(patches)
    dtype = patches.dtype if patches.dtype.kind == "f" else np.dtype(np.float64)
    p = patches.astype(dtype, copy=True)
    p -= p.sum(axis=-1, keepdims=True) / p.shape[-1]
    squared = np.einsum("...i,...i->...", p, p)[..., None]
    return p / np.sqrt(squared + dtype.type(eps))
''',
    # exact distances (scipy's cdist) on each chunk, instead of the expanded product
    "assign_words": '''
from scipy.spatial.distance import cdist


def assign_words(descriptors, codebook, chunk_size=65536):
    descriptors = np.asarray(descriptors, dtype=np.float64)
    codebook = np.asarray(codebook, dtype=np.float64)
    parts = [np.argmin(cdist(descriptors[i : i + chunk_size], codebook, "sqeuclidean"), axis=1)
             for i in range(0, len(descriptors), chunk_size)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
''',
    # np.add.at into a zero table instead of one bincount
    "word_histograms": '''
def word_histograms(words, n_words):
    words = np.asarray(words)
    counts = np.zeros((words.shape[0], n_words), dtype=np.int64)
    rows = np.repeat(np.arange(words.shape[0]), words.shape[1])
    np.add.at(counts, (rows, words.ravel()), 1)
    return counts
''',
    # einsum for the scores, np.where for two classes, take for several
    "predict_linear": '''
def predict_linear(features, coef, intercept, classes):
    classes = np.asarray(classes)
    scores = np.einsum("nd,cd->nc", np.asarray(features, dtype=np.float64), np.asarray(coef)) + np.asarray(intercept)
    if len(classes) == 2:
        return np.where(scores[:, 0] > 0, classes[1], classes[0])
    return classes.take(scores.argmax(axis=1))
''',
    # a loop over classes, each row smoothed and divided by its own total
    "class_word_distributions": '''
def class_word_distributions(histograms, labels, n_classes, alpha=1.0):
    histograms, labels = np.asarray(histograms), np.asarray(labels)
    k = histograms.shape[1]
    result = np.empty((n_classes, k))
    for c in range(n_classes):
        totals = histograms[labels == c].sum(axis=0)
        result[c] = (totals + alpha) / (totals.sum() + alpha * k)
    return result
''',
    # one column of scores per class, in a loop, with the prior's logarithm added to each
    "naive_bayes_predict": '''
def naive_bayes_predict(histograms, distributions, priors):
    h = np.asarray(histograms, dtype=np.float64)
    columns = [np.log(prior) + h @ np.log(row) for row, prior in zip(np.asarray(distributions), np.asarray(priors))]
    return np.stack(columns, axis=1).argmax(axis=1).astype(np.int64)
''',
    # the counts clipped at 1 instead of a comparison
    "presence": '''
def presence(histograms):
    return np.minimum(np.asarray(histograms, dtype=np.int64), 1)
''',
    # feature_vector=True, reshaped with the number of blocks computed from the image size, into a preallocated array
    "dense_hog": '''
def dense_hog(images, cell_size=4, orientations=9):
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    n_blocks = (h // cell_size - 1) * (w // cell_size - 1)
    out = np.empty((n, n_blocks, 4 * orientations))
    for i, image in enumerate(images):
        out[i] = hog(image, orientations=orientations, pixels_per_cell=(cell_size, cell_size), cells_per_block=(2, 2)).reshape(n_blocks, -1)
    return out
''',
    # exact squared distances (scipy's cdist) per chunk, their minima averaged at the end
    "quantisation_error": '''
from scipy.spatial.distance import cdist


def quantisation_error(descriptors, codebook, chunk_size=65536):
    x = np.asarray(descriptors, dtype=np.float64)
    c = np.asarray(codebook, dtype=np.float64)
    nearest = [cdist(x[i : i + chunk_size], c, "sqeuclidean").min(axis=1) for i in range(0, len(x), chunk_size)]
    return float(np.concatenate(nearest).mean())
''',
}

WRONG = {
    "extract_patches": '''
# off by one: range(0, h - size, step) misses the last position in each direction
def extract_patches(images, size, step):
    images = np.asarray(images)
    n, h, w = images.shape
    patches = [images[:, r : r + size, c : c + size].reshape(n, -1)
               for r in range(0, h - size, step) for c in range(0, w - size, step)]
    return np.stack(patches, axis=1)
''',
    "normalise_patches": '''
# eps added outside the square root: divides by ||p - mean|| + eps
def normalise_patches(patches, eps=0.01):
    patches = np.asarray(patches)
    if patches.dtype.kind != "f":
        patches = patches.astype(np.float64)
    centred = patches - patches.mean(axis=-1, keepdims=True)
    return centred / (np.sqrt(np.sum(centred**2, axis=-1, keepdims=True)) + eps)
''',
    "assign_words": '''
# drops ||c||^2 along with ||x||^2: the nearest word is not the one of largest dot product
def assign_words(descriptors, codebook, chunk_size=65536):
    descriptors, codebook = np.asarray(descriptors), np.asarray(codebook)
    words = np.empty(len(descriptors), dtype=np.int64)
    for start in range(0, len(descriptors), chunk_size):
        words[start : start + chunk_size] = np.argmax(descriptors[start : start + chunk_size] @ codebook.T, axis=1)
    return words
''',
    "word_histograms": '''
# np.histogram with bins=n_words: the bins span each image's own smallest to largest word, not 0..n_words
def word_histograms(words, n_words):
    return np.stack([np.histogram(row, bins=n_words)[0] for row in np.asarray(words)]).astype(np.int64)
''',
    "predict_linear": '''
# argmax for every classifier: with two classes the single score column always gives classes[0]
def predict_linear(features, coef, intercept, classes):
    scores = np.asarray(features) @ np.asarray(coef).T + intercept
    return np.asarray(classes)[np.argmax(scores, axis=1)]
''',
    "class_word_distributions": '''
# smooths the numerator only: divides by N[c] + alpha instead of N[c] + alpha * K, so the rows do not sum to 1
def class_word_distributions(histograms, labels, n_classes, alpha=1.0):
    histograms, labels = np.asarray(histograms, dtype=np.float64), np.asarray(labels)
    totals = np.stack([histograms[labels == c].sum(axis=0) for c in range(n_classes)])
    return (totals + alpha) / (totals.sum(axis=1, keepdims=True) + alpha)
''',
    "naive_bayes_predict": '''
# multiplies the probabilities instead of adding logarithms: with thousands of words every product underflows to 0
def naive_bayes_predict(histograms, distributions, priors):
    h = np.asarray(histograms, dtype=np.float64)
    products = np.prod(np.asarray(distributions)[None] ** h[:, None, :], axis=2) * np.asarray(priors)
    return np.argmax(products, axis=1).astype(np.int64)
''',
    "presence": '''
# marks the words that occur exactly once, not every word that occurs
def presence(histograms):
    return (np.asarray(histograms) == 1).astype(np.int64)
''',
    "dense_hog": '''
# leaves out cells_per_block: scikit-image's default is 3x3 cells per block, not 2x2
def dense_hog(images, cell_size=4, orientations=9):
    blocks = [hog(image, orientations=orientations, pixels_per_cell=(cell_size, cell_size), feature_vector=False) for image in images]
    return np.stack([b.reshape(len(b) * b.shape[1], -1) for b in blocks]).astype(np.float64)
''',
    "quantisation_error": '''
# the mean of the scores of exercise 3, min over words of ||c||^2 - 2 x.c, without ||x||^2: not a distance
def quantisation_error(descriptors, codebook, chunk_size=65536):
    x, c = np.asarray(descriptors, dtype=np.float64), np.asarray(codebook, dtype=np.float64)
    return float(np.mean(np.min(np.sum(c**2, axis=1) - 2 * x @ c.T, axis=1)))
''',
}
