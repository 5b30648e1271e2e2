"""Synthetic students for 08_tensorflow: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "split_train_validation": '''
def split_train_validation(dataset, n_total, n_validation):
    n_train = int(dataset.cardinality()) - n_validation
    validation = dataset.skip(n_train).take(n_validation)
    return dataset.take(n_train), validation
''',
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
    "accuracy": '''
def accuracy(logits, labels):
    logits = tf.convert_to_tensor(logits)
    hits = tf.math.count_nonzero(tf.argmax(logits, axis=-1) == tf.cast(labels, tf.int64))
    return int(hits) / int(tf.shape(logits)[0])
''',
}

WRONG = {
    "split_train_validation": '''
# validation taken from the front of the stream: take and skip in each other's places
def split_train_validation(dataset, n_total, n_validation):
    return dataset.skip(n_validation), dataset.take(n_validation)
''',
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
    "accuracy": '''
# returns a numpy.float64 (.numpy() of a float64 mean), not the Python float the text asks for
def accuracy(logits, labels):
    hits = tf.equal(tf.argmax(logits, axis=1), tf.cast(labels, tf.int64))
    return tf.reduce_mean(tf.cast(hits, tf.float64)).numpy()
''',
}
