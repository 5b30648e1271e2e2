"""Synthetic students for 07_keras: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "build_model": '''
def build_model():
    model = keras.Sequential()
    model.add(keras.layers.Input((28, 28, 1)))
    model.add(keras.layers.Conv2D(filters=32, kernel_size=(3, 3), strides=1, activation=keras.activations.relu))
    model.add(keras.layers.MaxPool2D(pool_size=(2, 2)))
    model.add(keras.layers.Conv2D(filters=64, kernel_size=(3, 3), padding="valid", activation=keras.activations.relu))
    model.add(keras.layers.MaxPool2D(pool_size=(2, 2)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(units=64, activation="relu"))
    model.add(keras.layers.Dense(units=10, activation=None))
    return model
''',
    "compile_model": '''
def compile_model(model):
    def loss(labels, logits):
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)

    model.compile(optimizer="adam", loss=loss, metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model
''',
    "KeepBest": '''
class KeepBest(keras.callbacks.Callback):
    def __init__(self, monitor="val_loss"):
        super().__init__()
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        self.values, self.snapshots = [], []
        self.best, self.best_epoch, self.best_weights = np.inf, None, None

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(logs[self.monitor])
        self.snapshots.append([np.array(w) for w in self.model.weights])

    def on_train_end(self, logs=None):
        self.best_epoch = int(np.argmin(self.values))
        self.best = float(self.values[self.best_epoch])
        self.best_weights = self.snapshots[self.best_epoch]
        self.model.set_weights(self.best_weights)
''',
    "feature_maps_model": '''
def feature_maps_model(model):
    x = inputs = keras.Input(shape=model.inputs[0].shape[1:])
    maps = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        x = layer(x)
        if isinstance(layer, keras.layers.Conv2D):
            maps.append(x)
    return keras.Model(inputs, [*maps, x])
''',
}

WRONG = {
    "build_model": '''
# a softmax on the last layer (as in the lecture's example): the model outputs probabilities, not logits
def build_model():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
''',
    "compile_model": '''
# the lecture's loss string: from_logits=False, so the logits are taken for probabilities
def compile_model(model):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=protocol.LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
''',
    "KeepBest": '''
# keeps self.model.weights, the variables themselves, not copies: they go on changing, and the last epoch's weights stay
class KeepBest(keras.callbacks.Callback):
    def __init__(self, monitor="val_loss"):
        super().__init__()
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        self.best, self.best_epoch, self.best_weights = np.inf, None, None

    def on_epoch_end(self, epoch, logs=None):
        if logs[self.monitor] < self.best:
            self.best, self.best_epoch, self.best_weights = float(logs[self.monitor]), epoch, self.model.weights

    def on_train_end(self, logs=None):
        self.model.set_weights(self.best_weights)
''',
    "feature_maps_model": '''
# copies the model with keras.models.clone_model: new layers with new random weights, not the trained ones
def feature_maps_model(model):
    copy = keras.models.clone_model(model)
    maps = [layer.output for layer in copy.layers if isinstance(layer, keras.layers.Conv2D)]
    return keras.Model(copy.inputs[0], maps + [copy.outputs[0]])
''',
}
