"""Synthetic students for 08_tensorflow: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "CNN": '''
class CNN(tf.Module):
    def __init__(self, seed=0):
        super().__init__()
        shapes = {"conv1": (3, 3, 1, 32), "conv2": (3, 3, 32, 64), "dense1": (1600, 64), "dense2": (64, 10)}
        for k, (name, shape) in enumerate(shapes.items()):
            if len(shape) == 4:
                fan_in, fan_out = shape[0] * shape[1] * shape[2], shape[0] * shape[1] * shape[3]
            else:
                fan_in, fan_out = shape
            limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
            setattr(self, name + "_w", tf.Variable(tf.random.stateless_uniform(shape, seed=(seed, 10 + k), minval=-limit, maxval=limit)))
            setattr(self, name + "_b", tf.Variable(tf.zeros([shape[-1]], dtype=tf.float32)))

    def __call__(self, x):
        x = tf.convert_to_tensor(x, dtype=tf.float32)
        for w, b in ((self.conv1_w, self.conv1_b), (self.conv2_w, self.conv2_b)):
            x = tf.nn.bias_add(tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID"), b)
            x = tf.nn.max_pool2d(tf.nn.relu(x), ksize=(2, 2), strides=(2, 2), padding="VALID")
        x = tf.reshape(x, (tf.shape(x)[0], -1))
        x = tf.nn.relu(tf.matmul(x, self.dense1_w) + self.dense1_b)
        return tf.matmul(x, self.dense2_w) + self.dense2_b
''',
    "train_step": '''
def train_step(model, optimizer, x, y):
    variables = model.trainable_variables
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(variables)
        log_p = tf.nn.log_softmax(model(x), axis=-1)
        loss = -tf.reduce_mean(tf.gather(log_p, tf.cast(y, tf.int32), batch_dims=1))
    optimizer.apply_gradients(tape.gradient(loss, variables), variables)
    return loss
''',
    "Tally": '''
class Tally(tf.Module):
    def __init__(self):
        super().__init__()
        self.calls, self.examples = (tf.Variable(tf.constant(0, tf.int64)) for _ in range(2))
        self.traces = 0

    @tf.function
    def __call__(self, x):
        self.traces = self.traces + 1
        self.calls.assign(self.calls + 1)
        self.examples.assign(self.examples + tf.shape(x, out_type=tf.int64)[0])
        return tf.identity(x)
''',
    "compile_step": '''
def compile_step(step, model, optimizer):
    @tf.function(input_signature=(tf.TensorSpec(shape=[None, 28, 28, 1], dtype=tf.float32),
                                  tf.TensorSpec(shape=[None], dtype=tf.int64)))
    def compiled(x, y):
        return step(model, optimizer, x, y)

    return compiled
''',
}

WRONG = {
    "CNN": '''
# standard-normal initial weights, as the lecture's example draws them (not Glorot uniform)
class CNN(tf.Module):
    def __init__(self, seed=0):
        super().__init__()
        self.conv1_w = tf.Variable(tf.random.stateless_normal((3, 3, 1, 32), seed=(seed, 1)))
        self.conv1_b = tf.Variable(tf.zeros(32))
        self.conv2_w = tf.Variable(tf.random.stateless_normal((3, 3, 32, 64), seed=(seed, 2)))
        self.conv2_b = tf.Variable(tf.zeros(64))
        self.dense1_w = tf.Variable(tf.random.stateless_normal((1600, 64), seed=(seed, 3)))
        self.dense1_b = tf.Variable(tf.zeros(64))
        self.dense2_w = tf.Variable(tf.random.stateless_normal((64, 10), seed=(seed, 4)))
        self.dense2_b = tf.Variable(tf.zeros(10))

    def __call__(self, x):
        x = tf.nn.relu(tf.nn.conv2d(x, self.conv1_w, strides=1, padding="VALID") + self.conv1_b)
        x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID")
        x = tf.nn.relu(tf.nn.conv2d(x, self.conv2_w, strides=1, padding="VALID") + self.conv2_b)
        x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID")
        x = tf.reshape(x, (-1, 1600))
        x = tf.nn.relu(x @ self.dense1_w + self.dense1_b)
        return x @ self.dense2_w + self.dense2_b
''',
    "train_step": '''
# a softmax before a loss that applies its own: the loss sees probabilities as if they were logits
def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        probabilities = tf.nn.softmax(model(x))
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=probabilities))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(gradients, model.trainable_variables)
    return loss
''',
    "Tally": '''
# counts calls and examples in Python ints: Python runs only while tracing, so they count traces, not calls
class Tally(tf.Module):
    def __init__(self):
        super().__init__()
        self.traces, self.calls, self.examples = 0, 0, 0

    @tf.function
    def __call__(self, x):
        self.traces += 1
        self.calls += 1
        self.examples += x.shape[0]
        return x
''',
    "compile_step": '''
# fixes the batch size in the signature: the last, smaller batch of an epoch is refused
def compile_step(step, model, optimizer):
    signature = [tf.TensorSpec((128, 28, 28, 1), tf.float32), tf.TensorSpec((128,), tf.int64)]
    return tf.function(lambda x, y: step(model, optimizer, x, y), input_signature=signature)
''',
}
