"""Synthetic students for 07_keras: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "split_train_validation": '''
def split_train_validation(x, y, n_validation):
    cut = x.shape[0] - n_validation
    x_train, x_val = np.split(x, [cut])
    y_train, y_val = np.split(y, [cut])
    return (x_train, y_train), (x_val, y_val)
''',
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
    "accuracy": '''
def accuracy(logits, labels):
    predictions = np.argmax(np.asarray(logits), axis=-1)
    return float(np.count_nonzero(predictions == np.asarray(labels)) / len(predictions))
''',
}

WRONG = {
    "split_train_validation": '''
# slices with x[:-n_validation]: for n_validation = 0 the training set is empty and everything validates
def split_train_validation(x, y, n_validation):
    return (x[:-n_validation], y[:-n_validation]), (x[-n_validation:], y[-n_validation:])
''',
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
    "accuracy": '''
# returns numpy.float64 (np.mean), not the Python float the text asks for
def accuracy(logits, labels):
    return np.mean(np.argmax(logits, axis=1) == labels)
''',
}
