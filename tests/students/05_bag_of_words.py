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
}
