"""Synthetic students for 14_detection_segmentation: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # new Parameters from a detached copy, viewed rather than reshaped; the module cast to the linear layer's dtype
    "linear_to_conv": '''
def linear_to_conv(linear, channels, height, width):
    out = linear.out_features
    conv = nn.Conv2d(channels, out, (height, width)).to(linear.weight.dtype)
    conv.weight = nn.Parameter(linear.weight.detach().clone().view(out, channels, height, width))
    conv.bias = nn.Parameter(linear.bias.detach().clone())
    return conv
''',
    # one plain NMS per class, in Python loops, then the kept boxes of all classes merged by score
    "class_aware_nms": '''
def class_aware_nms(boxes, scores, classes, iou_threshold):
    boxes = [tuple(float(v) for v in b) for b in np.asarray(boxes).reshape(-1, 4)]
    scores, classes = [float(s) for s in np.ravel(scores)], [int(c) for c in np.ravel(classes)]

    def iou(a, b):
        h = min(a[2], b[2]) - max(a[0], b[0])
        w = min(a[3], b[3]) - max(a[1], b[1])
        inter = h * w if h > 0 and w > 0 else 0.0
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    kept = []
    for c in set(classes):
        left = sorted((i for i in range(len(boxes)) if classes[i] == c), key=lambda i: scores[i], reverse=True)
        while left:
            best = left.pop(0)
            kept.append(best)
            left = [i for i in left if iou(boxes[best], boxes[i]) <= iou_threshold]
    kept.sort(key=lambda i: scores[i], reverse=True)
    return np.array(kept, dtype=np.int64)
''',
    # matches decided image by image first, then one ranking; interpolation as the largest precision at recall >= each level
    "average_precision": '''
def average_precision(detections, ground_truths, iou_threshold):
    def ious(box, truths):
        top = np.maximum(box[:2], truths[:, :2])
        bottom = np.minimum(box[2:], truths[:, 2:])
        inter = np.prod(np.clip(bottom - top, 0, None), axis=1)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        return inter / (area(box) + area(truths) - inter)

    outcomes = []
    for (boxes, scores), truths in zip(detections, ground_truths):
        boxes, scores = np.asarray(boxes, dtype=float).reshape(-1, 4), np.asarray(scores, dtype=float).reshape(-1)
        truths = np.asarray(truths, dtype=float).reshape(-1, 4)
        free = np.ones(len(truths), dtype=bool)
        for k in np.argsort(-scores):
            overlap = np.where(free, ious(boxes[k], truths), -1.0) if len(truths) else np.zeros(0)
            j = int(np.argmax(overlap)) if len(overlap) else -1
            hit = j >= 0 and overlap[j] >= iou_threshold
            if hit:
                free[j] = False
            outcomes.append((scores[k], hit))
    outcomes.sort(key=lambda o: -o[0])
    hits = np.array([h for _, h in outcomes], dtype=float)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / sum(len(np.asarray(t).reshape(-1, 4)) for t in ground_truths)
    total = 0.0
    for level in np.linspace(0, 1, 101):
        reached = precision[recall >= level]
        total += reached.max() if len(reached) else 0.0
    return float(total / 101)
''',
    # a boolean mask per class, nan written where the union is empty
    "segmentation_iou": '''
def segmentation_iou(predicted, target, num_classes):
    predicted, target = np.asarray(predicted), np.asarray(target)
    result = np.empty(num_classes)
    for c in range(num_classes):
        p, t = predicted == c, target == c
        union = np.count_nonzero(p | t)
        result[c] = np.count_nonzero(p & t) / union if union else np.nan
    return result
''',
}

WRONG = {
    "linear_to_conv": '''
# reads the flattened weight in TensorFlow's order (row, column, channel), not PyTorch's (channel, row, column)
def linear_to_conv(linear, channels, height, width):
    conv = nn.Conv2d(channels, linear.out_features, (height, width))
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, height, width, channels).permute(0, 3, 1, 2))
        conv.bias.copy_(linear.bias)
    return conv
''',
    "class_aware_nms": '''
# plain NMS: a box suppresses boxes of every class
def class_aware_nms(boxes, scores, classes, iou_threshold):
    boxes, scores = np.asarray(boxes, dtype=np.float64).reshape(-1, 4), np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        h = np.clip(np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0]), 0, None)
        w = np.clip(np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1]), 0, None)
        order = rest[h * w / (areas[best] + areas[rest] - h * w) <= iou_threshold]
    return np.array(keep, dtype=np.int64)
''',
    "average_precision": '''
# a true box can be matched again: a second detection of a found digit counts as a hit
def average_precision(detections, ground_truths, iou_threshold):
    ranked = sorted(((float(s), i, np.asarray(b, dtype=float)) for i, (boxes, scores) in enumerate(detections)
                     for b, s in zip(np.asarray(boxes).reshape(-1, 4), np.ravel(scores))), key=lambda d: -d[0])
    truths = [torch.as_tensor(np.asarray(g, dtype=float).reshape(-1, 4)) for g in ground_truths]
    hits = [len(truths[i]) > 0 and torchvision.ops.box_iou(torch.as_tensor(b[None]), truths[i]).max().item() >= iou_threshold
            for _, i, b in ranked]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = np.minimum(tp / sum(len(t) for t in truths), 1.0)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    first = np.searchsorted(recall, np.linspace(0, 1, 101), side="left")
    return float(np.mean([precision[i] if i < len(precision) else 0.0 for i in first]))
''',
    "segmentation_iou": '''
# a class in neither map gets IoU 0 instead of nan, which drags the mean down
def segmentation_iou(predicted, target, num_classes):
    predicted, target = np.ravel(predicted), np.ravel(target)
    both = np.array([np.sum((predicted == c) & (target == c)) for c in range(num_classes)], dtype=np.float64)
    either = np.array([np.sum((predicted == c) | (target == c)) for c in range(num_classes)], dtype=np.float64)
    return both / np.maximum(either, 1)
''',
}
