"""Synthetic students for 04_eigenfaces: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "center": '''
def center(X):
    """The mean as a matrix product, subtracted in place from a float64 copy."""
    data = np.array(X, dtype=np.float64)
    mean = np.ones(data.shape[0]) @ data / data.shape[0]
    data -= mean
    return data, mean
''',
    "pca_svd": '''
def pca_svd(X_centred, n_components):
    """Turk and Pentland's way: eigenvectors of the small Gram matrix X X^T, mapped back by X^T."""
    X = np.asarray(X_centred, dtype=np.float64)
    values, vectors = np.linalg.eigh(X @ X.T)
    order = np.argsort(values)[::-1][:n_components]
    values, vectors = values[order], vectors[:, order]
    components = (X.T @ vectors) / np.sqrt(values)
    return np.ascontiguousarray(components.T), values / (X.shape[0] - 1)
''',
    "project": '''
def project(X, mean, components):
    """The product expanded: X C^T minus the mean's coordinates."""
    X = np.asarray(X, dtype=np.float64)
    return X @ components.T - mean @ components.T
''',
    "reconstruct": '''
def reconstruct(coefficients, mean, components):
    """tensordot over the component axis."""
    return mean + np.tensordot(np.asarray(coefficients, dtype=np.float64), components, axes=1)
''',
    "nearest_template": '''
def nearest_template(train_features, train_labels, test_features):
    """A loop over the test rows, with exact Euclidean distances."""
    train_features = np.asarray(train_features, dtype=np.float64)
    labels = np.asarray(train_labels)
    nearest = [int(np.argmin(np.linalg.norm(train_features - row, axis=1))) for row in np.asarray(test_features, dtype=np.float64)]
    return labels[np.array(nearest, dtype=np.int64)]
''',
}

WRONG = {
    "center": '''
# subtracts each row's own mean (axis=1) instead of the mean row
def center(X):
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=1)
    return X - mean[:, None], mean
''',
    "pca_svd": '''
# variances divided by n instead of n - 1
def pca_svd(X_centred, n_components):
    _, singular_values, vt = np.linalg.svd(X_centred, full_matrices=False)
    return vt[:n_components], singular_values[:n_components] ** 2 / X_centred.shape[0]
''',
    "project": '''
# forgets to subtract the mean before projecting
def project(X, mean, components):
    return np.asarray(X, dtype=np.float64) @ components.T
''',
    "reconstruct": '''
# forgets to add the mean back
def reconstruct(coefficients, mean, components):
    return np.asarray(coefficients, dtype=np.float64) @ components
''',
    "nearest_template": '''
# returns the row number of the nearest template, not its label
def nearest_template(train_features, train_labels, test_features):
    train_features = np.asarray(train_features, dtype=np.float64)
    test_features = np.asarray(test_features, dtype=np.float64)
    squared = (np.sum(test_features**2, axis=1)[:, None] - 2 * test_features @ train_features.T
               + np.sum(train_features**2, axis=1)[None, :])
    return np.argmin(squared, axis=1)
''',
}
