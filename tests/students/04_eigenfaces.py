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
    "retained_fraction": '''
def retained_fraction(X, X_perturbed, components):
    """Each face projected on its own, then the coordinates compared, row by row."""
    X = np.asarray(X, dtype=np.float64)
    X_perturbed = np.asarray(X_perturbed, dtype=np.float64)
    result = np.zeros(len(X))
    for i, (before, after) in enumerate(zip(X, X_perturbed)):
        moved = np.sqrt(np.sum((after - before) ** 2))
        if moved > 0:
            result[i] = np.sqrt(np.sum((components @ after - components @ before) ** 2)) / moved
    return result
''',
    "open_set_predict": '''
def open_set_predict(distances, train_labels, threshold):
    """A loop over the test faces, with Python's min."""
    labels = [int(label) for label in np.asarray(train_labels)]
    result = []
    for row in np.asarray(distances, dtype=np.float64).tolist():
        j = min(range(len(row)), key=row.__getitem__)
        result.append(labels[j] if row[j] <= threshold else -1)
    return np.array(result, dtype=np.int64)
''',
    "rejection_tradeoff": '''
def rejection_tradeoff(known_distances, unknown_distances, thresholds):
    """Counts from sorted distances with searchsorted (side='right' counts the distances at most the threshold)."""
    known = np.sort(np.asarray(known_distances, dtype=np.float64))
    unknown = np.sort(np.asarray(unknown_distances, dtype=np.float64))
    thresholds = np.asarray(thresholds, dtype=np.float64)
    accepted_unknown = np.searchsorted(unknown, thresholds, side="right")
    accepted_known = np.searchsorted(known, thresholds, side="right")
    return accepted_unknown / len(unknown), (len(known) - accepted_known) / len(known)
''',
    "fisher_directions": '''
def fisher_directions(features, labels, n_directions):
    """Whitening: S_W^(-1/2) S_B S_W^(-1/2) is symmetric; its eigenvectors, mapped back by S_W^(-1/2)."""
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    n, k = X.shape
    classes = np.unique(y)
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    counts = np.array([np.sum(y == c) for c in classes])
    within = sum(np.cov(X[y == c], rowvar=False, bias=True) * np.sum(y == c) for c in classes) / n
    deviations = means - X.mean(axis=0)
    between = (deviations * counts[:, None]).T @ deviations / n
    values, vectors = np.linalg.eigh(within)
    inverse_root = vectors @ np.diag(values ** -0.5) @ vectors.T
    _, rotation = np.linalg.eigh(inverse_root @ between @ inverse_root)
    return inverse_root @ rotation[:, ::-1][:, :n_directions]
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
    "retained_fraction": '''
# the share of the squared length (energy), not of the length
def retained_fraction(X, X_perturbed, components):
    change = np.asarray(X_perturbed, dtype=np.float64) - np.asarray(X, dtype=np.float64)
    total = np.sum(change ** 2, axis=1)
    inside = np.sum((change @ components.T) ** 2, axis=1)
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)
''',
    "open_set_predict": '''
# rejects a face exactly at the threshold too (>= instead of >)
def open_set_predict(distances, train_labels, threshold):
    distances = np.asarray(distances, dtype=np.float64)
    labels = np.asarray(train_labels).astype(np.int64)[distances.argmin(axis=1)]
    return np.where(distances.min(axis=1) >= threshold, -1, labels)
''',
    "rejection_tradeoff": '''
# divides both counts by the number of all test faces, not by the size of each group
def rejection_tradeoff(known_distances, unknown_distances, thresholds):
    known, unknown = np.asarray(known_distances, dtype=np.float64), np.asarray(unknown_distances, dtype=np.float64)
    total = len(known) + len(unknown)
    false_acceptance = np.array([np.sum(unknown <= t) / total for t in thresholds])
    false_rejection = np.array([np.sum(known > t) / total for t in thresholds])
    return false_acceptance, false_rejection
''',
    "fisher_directions": '''
# takes eigh's first columns: its eigenvalues come in increasing order, so these are the least discriminant directions
def fisher_directions(features, labels, n_directions):
    features, labels = np.asarray(features, dtype=np.float64), np.asarray(labels)
    overall = features.mean(axis=0)
    within, between = np.zeros((features.shape[1],) * 2), np.zeros((features.shape[1],) * 2)
    for c in np.unique(labels):
        members = features[labels == c]
        within += (members - members.mean(axis=0)).T @ (members - members.mean(axis=0))
        between += len(members) * np.outer(members.mean(axis=0) - overall, members.mean(axis=0) - overall)
    return linalg.eigh(between / len(features), within / len(features))[1][:, :n_directions]
''',
}
