"""Synthetic students for 01_task_taxonomy: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # vectorised with numpy on float64 arrays, converted to a Python float at the end
    "box_iou": '''
def box_iou(box_a, box_b):
    a, b = np.asarray(box_a, dtype=np.float64), np.asarray(box_b, dtype=np.float64)
    overlap = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None)
    intersection = overlap.prod()
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - intersection
    return float(intersection / union)
''',
    # a breadth-first flood fill with a queue, scanning the pixels row by row
    "connected_components": '''
from collections import deque


def connected_components(mask, connectivity=1):
    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0) and abs(dr) + abs(dc) <= connectivity]
    labels = np.zeros((height, width), dtype=np.int64)
    count = 0
    for r in range(height):
        for c in range(width):
            if not mask[r, c] or labels[r, c] != 0:
                continue
            count += 1
            labels[r, c] = count
            queue = deque([(r, c)])
            while queue:
                y, x = queue.popleft()
                for dr, dc in offsets:
                    ny, nx = y + dr, x + dc
                    if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and labels[ny, nx] == 0:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
    return labels, count
''',
    # no loop: the largest 1-based index of the masks that cover each pixel, then a table look-up of its class
    "semantic_from_instances": '''
def semantic_from_instances(instance_masks, instance_classes):
    masks = np.asarray(instance_masks, dtype=bool)
    classes = np.concatenate([[0], np.asarray(instance_classes, dtype=np.int64)])
    order = np.arange(1, len(masks) + 1)[:, None, None]
    last = (masks * order).max(axis=0, initial=0)
    return classes[last].astype(np.int64)
''',
}

WRONG = {
    "box_iou": '''
# returns a numpy.float64 (from numpy's arithmetic), not the Python float the text asks for
def box_iou(box_a, box_b):
    a, b = np.asarray(box_a), np.asarray(box_b)
    overlap = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None)
    intersection = overlap.prod()
    return intersection / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - intersection)
''',
    "connected_components": '''
# ignores connectivity: only the 4 neighbours that share an edge, even for connectivity=2
def connected_components(mask, connectivity=1):
    mask = np.asarray(mask, dtype=bool)
    labels = np.zeros(mask.shape, dtype=np.int64)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        stack = [start]
        while stack:
            r, c = stack.pop()
            for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nr < mask.shape[0] and 0 <= nc < mask.shape[1] and mask[nr, nc] and not labels[nr, nc]:
                    labels[nr, nc] = count
                    stack.append((nr, nc))
    return labels, count
''',
    "semantic_from_instances": '''
# the first mask wins where masks overlap (np.argmax finds the first True), not the last
def semantic_from_instances(instance_masks, instance_classes):
    masks = np.asarray(instance_masks, dtype=bool)
    if len(masks) == 0:
        return np.zeros(masks.shape[1:], dtype=np.int64)
    first = np.argmax(masks, axis=0)
    return np.where(masks.any(axis=0), np.asarray(instance_classes, dtype=np.int64)[first], 0)
''',
}
