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
    # loops over every window, np.unravel_index of its argmax, += into dx
    "max_pool2d_backward": '''
def max_pool2d_backward(dout, cache):
    x, pool, stride = cache
    dx = np.zeros_like(x, dtype=np.float64)
    n_images, channels, rows, cols = dout.shape
    for n in range(n_images):
        for c in range(channels):
            for i in range(rows):
                for j in range(cols):
                    top, left = i * stride, j * stride
                    window = x[n, c, top : top + pool, left : left + pool]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, top + p, left + q] += dout[n, c, i, j]
    return dx
''',
    # im2col: every window a row of a matrix, the forward pass and the gradient as matrix products, no conv2d_* functions
    "conv_fit_step": '''
def conv_fit_step(x, target, w, b, lr):
    n_filters, _, hh, ww = w.shape
    windows = sliding_window_view(x, (hh, ww), axis=(2, 3))  # (N, C, H', W', HH, WW)
    patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, w[0].size)  # one row per output position
    residual = patches @ w.reshape(n_filters, -1).T + b - target.transpose(0, 2, 3, 1).reshape(-1, n_filters)
    loss = (residual**2).sum() / residual.size
    grad_out = residual * (2.0 / residual.size)
    grad_w = (grad_out.T @ patches).reshape(w.shape)
    return float(loss), w - lr * grad_w, b - lr * grad_out.sum(axis=0)
''',
    # scipy's full convolution for every (output, input) channel pair, summed over the middle channels; loops for the bias
    "compose_convolutions": '''
def compose_convolutions(w1, b1, w2, b2):
    n_mid, channels = w1.shape[:2]
    n_out = w2.shape[0]
    kernels = [[sum(signal.convolve2d(w1[f, c], w2[g, f]) for f in range(n_mid)) for c in range(channels)] for g in range(n_out)]
    bias = [b2[g] + sum(w2[g, f].sum() * b1[f] for f in range(n_mid)) for g in range(n_out)]
    return np.array(kernels, dtype=np.float64), np.array(bias, dtype=np.float64)
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
    # the pixels flattened into columns and one matrix product
    "conv1x1": '''
def conv1x1(x, w, b):
    n, c, h, width = x.shape
    out = (w @ x.reshape(n, c, h * width)).reshape(n, len(w), h, width)
    return out + b.reshape(1, -1, 1, 1)
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
    "max_pool2d_backward": '''
# assigns instead of adding: an input that is the largest of two overlapping windows keeps one window's gradient only
def max_pool2d_backward(dout, cache):
    x, pool, stride = cache
    N, C, H_out, W_out = dout.shape
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    p, q = np.divmod(windows.reshape(N, C, H_out, W_out, pool * pool).argmax(axis=-1), pool)
    n, c, i, j = np.indices(dout.shape)
    dx = np.zeros(x.shape)
    dx[n, c, i * stride + p, j * stride + q] = dout
    return dx
''',
    "conv_fit_step": '''
# forgets the factor 2 of the square's derivative: dout = (out - target) / M, every step half as long as it should be
def conv_fit_step(x, target, w, b, lr):
    error = conv2d_vectorised(x, w, b) - target
    _, dw, db = conv2d_backward(error / error.size, (x, w, b, 1, 0))
    return float(np.mean(error**2)), w - lr * dw, b - lr * db
''',
    "compose_convolutions": '''
# drops the first layer's bias: b = b2, as if b1 did not pass through the second layer's weights
def compose_convolutions(w1, b1, w2, b2):
    _, C, HH1, WW1 = w1.shape
    F2, _, HH2, WW2 = w2.shape
    w = np.zeros((F2, C, HH1 + HH2 - 1, WW1 + WW2 - 1))
    for p in range(HH2):
        for q in range(WW2):
            w[:, :, p : p + HH1, q : q + WW1] += np.einsum("gf,fcij->gcij", w2[:, :, p, q], w1)
    return w, b2.copy()
''',
    "param_counts": '''
# bias=False is ignored: the biases are always counted
def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels * kh * kw + 1)


def dense_param_count(in_features, out_features, bias=True):
    return out_features * (in_features + 1)
''',
    "conv1x1": '''
# the bias is left out
def conv1x1(x, w, b):
    return np.einsum("nchw,fc->nfhw", x, w)
''',
}
