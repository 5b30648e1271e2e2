"""Synthetic students for 11_framework_comparison: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    # Keras' functional API instead of Sequential; the optimizer by name, a loss function, the metric as an object.
    "keras_cnn": '''
def build_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, (3, 3), padding="valid")(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64)(x)
    x = keras.layers.ReLU()(x)
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def compile_model(model):
    def loss(labels, logits):
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)

    model.compile(optimizer="adam", loss=loss, metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model
''',
    # Variables made in a loop with other stateless seeds; tf.nn.convolution, bias_add, max_pool; a flatten by tf.shape;
    # the loss from log-softmax and a gather.
    "tf_cnn": '''
class TFCNN(tf.Module):
    def __init__(self, seed=0):
        super().__init__()
        layers = [("conv1", (3, 3, 1, 32), 9, 288), ("conv2", (3, 3, 32, 64), 288, 576),
                  ("dense1", (1600, 64), 1600, 64), ("dense2", (64, 10), 64, 10)]
        for k, (name, shape, fan_in, fan_out) in enumerate(layers):
            limit = (6.0 / (fan_in + fan_out)) ** 0.5
            setattr(self, name + "_w", tf.Variable(tf.random.stateless_uniform(shape, seed=(seed, 100 + k), minval=-limit, maxval=limit)))
            setattr(self, name + "_b", tf.Variable(tf.zeros(shape[-1])))

    def __call__(self, x):
        for w, b in ((self.conv1_w, self.conv1_b), (self.conv2_w, self.conv2_b)):
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.convolution(x, w, padding="VALID"), b))
            x = tf.nn.max_pool(x, ksize=(2, 2), strides=(2, 2), padding="VALID")
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        x = tf.nn.relu(tf.matmul(x, self.dense1_w) + self.dense1_b)
        return tf.matmul(x, self.dense2_w) + self.dense2_b


def tf_train_step(model, optimizer, x, y):
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        log_p = tf.nn.log_softmax(model(x), axis=1)
        loss = -tf.reduce_mean(tf.gather(log_p, tf.cast(y, tf.int32), axis=1, batch_dims=1))
    optimizer.apply_gradients(tape.gradient(loss, variables), variables)
    return loss
''',
    # The layers in an nn.Sequential (same order of parameters); NLL of log-softmax; zero_grad(set_to_none=False); float().
    "torch_cnn": '''
class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


def torch_train_step(model, optimizer, x, y):
    model.train(True)
    optimizer.zero_grad(set_to_none=False)
    loss = F.nll_loss(F.log_softmax(model(x), dim=1), y)
    loss.backward()
    optimizer.step()
    return float(loss.detach())
''',
    # Two nn.Sequential blocks; a training_step that logs nothing and computes the loss with nn.CrossEntropyLoss.
    "lightning_cnn": '''
class LitCNN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))

    def training_step(self, batch, batch_idx):
        images, labels = batch
        return nn.CrossEntropyLoss()(self.forward(images), labels)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_accuracy", torchmetrics_accuracy(self(x), y, task="multiclass", num_classes=10))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    # einsum instead of transpose.
    "kernel_to_torch": '''
def kernel_to_torch(kernel):
    return np.einsum("hwio->oihw", kernel).copy()
''',
    # An index permutation: the NHWC row of every NCHW column.
    "dense_after_flatten_to_torch": '''
def dense_after_flatten_to_torch(weight, height, width, channels):
    rows = np.empty(channels * height * width, dtype=int)
    for c in range(channels):
        for h in range(height):
            for w in range(width):
                rows[(c * height + h) * width + w] = (h * width + w) * channels + c
    return weight[rows].T.copy()
''',
}

WRONG = {
    "keras_cnn": '''
# padding="same" in both convolutions (the bug notebook 07 fixes): 220,234 parameters, a 7 x 7 x 64 flatten
def build_model():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])


def compile_model(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=protocol.LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model
''',
    "tf_cnn": '''
# flattens in PyTorch's NCHW order (a transpose before the reshape): same shapes, but Keras' dense weights no longer fit
class TFCNN(tf.Module):
    def __init__(self, seed=0):
        super().__init__()

        def glorot(shape, k, fan_in, fan_out):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return tf.Variable(tf.random.stateless_uniform(shape, seed=(seed, k), minval=-limit, maxval=limit))

        self.conv1_w, self.conv1_b = glorot((3, 3, 1, 32), 1, 9, 288), tf.Variable(tf.zeros(32))
        self.conv2_w, self.conv2_b = glorot((3, 3, 32, 64), 2, 288, 576), tf.Variable(tf.zeros(64))
        self.dense1_w, self.dense1_b = glorot((1600, 64), 3, 1600, 64), tf.Variable(tf.zeros(64))
        self.dense2_w, self.dense2_b = glorot((64, 10), 4, 64, 10), tf.Variable(tf.zeros(10))

    def __call__(self, x):
        x = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, self.conv1_w, 1, "VALID") + self.conv1_b), 2, 2, "VALID")
        x = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, self.conv2_w, 1, "VALID") + self.conv2_b), 2, 2, "VALID")
        x = tf.reshape(tf.transpose(x, (0, 3, 1, 2)), (-1, 1600))
        x = tf.nn.relu(x @ self.dense1_w + self.dense1_b)
        return x @ self.dense2_w + self.dense2_b


def tf_train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x)))
    optimizer.apply_gradients(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    return loss
''',
    "torch_cnn": '''
# no optimizer.zero_grad(): every step adds its gradients to those of all the steps before
class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(1600, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def torch_train_step(model, optimizer, x, y):
    model.train()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
''',
    "lightning_cnn": '''
# F.nll_loss on the logits themselves (no log-softmax): not the cross-entropy, and unbounded below
class LitCNN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(1600, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.nll_loss(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_accuracy", torchmetrics_accuracy(self(x), y, task="multiclass", num_classes=10))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    "kernel_to_torch": '''
# axes (3, 2, 1, 0): the right shape for square kernels, but each kernel's rows and columns swapped
def kernel_to_torch(kernel):
    return np.ascontiguousarray(np.transpose(kernel, (3, 2, 1, 0)))
''',
    "dense_after_flatten_to_torch": '''
# a plain transpose: the right shape, but the columns stay in the NHWC flatten order
def dense_after_flatten_to_torch(weight, height, width, channels):
    return np.ascontiguousarray(weight.T)
''',
}

LOSES = {  # the other test cell of the same framework checks what the wrong answer gets right
    "keras_cnn": ["test_keras_model"],
    "tf_cnn": ["test_tf_model"],
    "torch_cnn": ["test_torch_train_step"],
    "lightning_cnn": ["test_lightning_training_step"],
}
