"""Synthetic students for 06_convolution_mechanics: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # divmod instead of %, the checks in another order, other messages
    "conv_output_size": '''
def conv_output_size(W, F, P=0, S=1):
    if min(W, F, S) < 1 or P < 0:
        raise ValueError("sizes and stride must be at least 1, padding at least 0")
    span = W + 2 * P - F
    if span < 0:
        raise ValueError(f"a window of {F} does not fit in {W} padded with {P}")
    steps, left = divmod(span, S)
    if left != 0:
        raise ValueError(f"stride {S} leaves {left} row(s) uncovered")
    return int(steps) + 1
''',
    # one einsum per output position instead of np.sum(window * w[f]) per filter; the output allocated as float64
    "conv2d_loops": '''
def conv2d_loops(x, w, b, stride=1, pad=0):
    n_images, _, height, width = x.shape
    n_filters, _, hh, ww = w.shape
    xp = np.zeros((n_images, x.shape[1], height + 2 * pad, width + 2 * pad))
    xp[:, :, pad : pad + height, pad : pad + width] = x
    rows, cols = (height + 2 * pad - hh) // stride + 1, (width + 2 * pad - ww) // stride + 1
    out = np.empty((n_images, n_filters, rows, cols))
    for n in range(n_images):
        for i in range(rows):
            for j in range(cols):
                window = xp[n, :, i * stride : i * stride + hh, j * stride : j * stride + ww]
                out[n, :, i, j] = np.einsum("cpq,fcpq->f", window, w) + b
    return out
''',
    # the loop over the HH x WW filter offsets that the text allows (another order of the sums)
    "conv2d_vectorised": '''
def conv2d_vectorised(x, w, b, stride=1, pad=0):
    n_filters, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows, cols = (xp.shape[2] - hh) // stride + 1, (xp.shape[3] - ww) // stride + 1
    out = np.zeros((x.shape[0], n_filters, rows, cols))
    for p in range(hh):
        for q in range(ww):
            shifted = xp[:, :, p : p + stride * rows : stride, q : q + stride * cols : stride]  # (N, C, H', W')
            out += np.tensordot(w[:, :, p, q], shifted, axes=([1], [1])).transpose(1, 0, 2, 3)
    return out + b.reshape(1, -1, 1, 1)
''',
    # np.maximum over the pool x pool offsets of strided slices, instead of a window view
    "max_pool2d": '''
def max_pool2d(x, pool=2, stride=2):
    rows, cols = (x.shape[2] - pool) // stride + 1, (x.shape[3] - pool) // stride + 1
    result = None
    for p in range(pool):
        for q in range(pool):
            part = x[:, :, p : p + stride * (rows - 1) + 1 : stride, q : q + stride * (cols - 1) + 1 : stride]
            result = part.copy() if result is None else np.maximum(result, part)
    return result
''',
    # the naive loops over n, f, i, j (as in cs231n), accumulating window by window
    "conv2d_backward": '''
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    n_images, n_filters, rows, cols = dout.shape
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for n in range(n_images):
        for f in range(n_filters):
            for i in range(rows):
                for j in range(cols):
                    r, c = i * stride, j * stride
                    dw[f] += dout[n, f, i, j] * xp[n, :, r : r + hh, c : c + ww]
                    dxp[n, :, r : r + hh, c : c + ww] += dout[n, f, i, j] * w[f]
    db = np.array([dout[:, f].sum() for f in range(n_filters)])
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]].copy(), dw, db
''',
    # the kernel size as a tuple always, the bias as a boolean times the filter count
    "param_counts": '''
def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    weights = in_channels * kh * kw * out_channels
    return weights + out_channels * int(bool(bias))


def dense_param_count(in_features, out_features, bias=True):
    return in_features * out_features + (out_features if bias else 0)
''',
}

WRONG = {
    "conv_output_size": '''
# rounds down like the frameworks instead of raising when the windows do not tile the input
def conv_output_size(W, F, P=0, S=1):
    if S < 1 or P < 0 or W < 1 or F < 1:
        raise ValueError("bad configuration")
    if F > W + 2 * P:
        raise ValueError("window larger than the padded input")
    return (W - F + 2 * P) // S + 1
''',
    "conv2d_loops": '''
# the windows start at (i, j) instead of (i * stride, j * stride)
def conv2d_loops(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(xp[n, :, i : i + HH, j : j + WW] * w[f]) + b[f]
    return out
''',
    "conv2d_vectorised": '''
# every window start kept: the stride is ignored
def conv2d_vectorised(x, w, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None]
''',
    "max_pool2d": '''
# reshapes into non-overlapping pool x pool blocks: right only when stride == pool
def max_pool2d(x, pool=2, stride=2):
    n, c, h, w = x.shape
    h2, w2 = h // pool, w // pool
    return x[:, :, : h2 * pool, : w2 * pool].reshape(n, c, h2, pool, w2, pool).max(axis=(3, 5))
''',
    "conv2d_backward": '''
# overwrites dx instead of adding to it where windows overlap (= instead of +=)
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    _, _, H_out, W_out = dout.shape
    _, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for p in range(HH):
        for q in range(WW):
            rows, cols = slice(p, p + stride * H_out, stride), slice(q, q + stride * W_out, stride)
            dw[:, :, p, q] = np.einsum("nfij,ncij->fc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] = np.einsum("nfij,fc->ncij", dout, w[:, :, p, q])
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
''',
    "param_counts": '''
# bias=False is ignored: the biases are always counted
def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels * kh * kw + 1)


def dense_param_count(in_features, out_features, bias=True):
    return out_features * (in_features + 1)
''',
}
