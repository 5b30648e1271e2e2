"""Synthetic students for 13_deployment: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # torch for the arithmetic, one pass over the rows for the agreement
    "parity": '''
def parity(reference, candidate):
    a = torch.as_tensor(np.asarray(reference), dtype=torch.float64)
    b = torch.as_tensor(np.asarray(candidate), dtype=torch.float64)
    same = sum(int(x.argmax() == y.argmax()) for x, y in zip(a, b))
    return {"agreement": same / len(a), "largest_difference": (a - b).abs().max().item()}
''',
    # the percentile by hand: sort, then interpolate between the two nearest ranks
    "latency_summary": '''
def latency_summary(seconds, warmup):
    kept = sorted(float(s) * 1000.0 for s in list(seconds)[warmup:])

    def quantile(q):
        position = q * (len(kept) - 1)
        low = int(position)
        high = min(low + 1, len(kept) - 1)
        return kept[low] + (kept[high] - kept[low]) * (position - low)

    return {"median_ms": quantile(0.5), "p95_ms": quantile(0.95)}
''',
    # nn.Sequential of a scaling module and the model, with the constants as buffers
    "with_preprocessing": '''
class Normalise(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("scale", torch.tensor(1.0 / (255.0 * std), dtype=torch.float32))
        self.register_buffer("shift", torch.tensor(mean / std, dtype=torch.float32))

    def forward(self, pixels):
        return (pixels * self.scale - self.shift)[:, None, :, :]


def with_preprocessing(model, mean, std):
    return nn.Sequential(Normalise(mean, std), model)
''',
}

WRONG = {
    "parity": '''
# the mean absolute difference instead of the largest
def parity(reference, candidate):
    reference, candidate = np.asarray(reference, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    return {"largest_difference": float(np.mean(np.abs(reference - candidate))),
            "agreement": float(np.mean(reference.argmax(axis=1) == candidate.argmax(axis=1)))}
''',
    "latency_summary": '''
# keeps the warm-up timings in the summary
def latency_summary(seconds, warmup):
    kept = np.asarray(seconds, dtype=np.float64) * 1000
    return {"median_ms": float(np.median(kept)), "p95_ms": float(np.percentile(kept, 95))}
''',
    "with_preprocessing": '''
# normalises the 0-255 grey levels without scaling them to [0, 1] first
def with_preprocessing(model, mean, std):
    class Preprocessed(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, pixels):
            return self.model(((pixels - mean) / std).unsqueeze(1))

    return Preprocessed()
''',
}
