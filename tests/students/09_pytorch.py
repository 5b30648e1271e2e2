"""Synthetic students for 09_pytorch: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "split_train_validation": '''
def split_train_validation(dataset, n_validation):
    train_indices, validation_indices = np.split(np.arange(len(dataset)), [len(dataset) - n_validation])
    return Subset(dataset, train_indices.tolist()), Subset(dataset, validation_indices.tolist())
''',
    "CNN": '''
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=32, kernel_size=(3, 3)), nn.ReLU(), nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(in_channels=32, out_channels=64, kernel_size=(3, 3)), nn.ReLU(), nn.MaxPool2d(kernel_size=2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
''',
    "train_step": '''
def train_step(model, optimizer, x, y):
    model.train(True)
    for p in model.parameters():
        p.grad = None
    logits = model(x)
    loss = F.nll_loss(F.log_softmax(logits, dim=1), y)
    loss.backward()
    optimizer.step()
    return float(loss.detach())
''',
    "accuracy": '''
def accuracy(logits, labels):
    correct = torch.sum(torch.argmax(logits, dim=-1) == labels)
    return int(correct) / labels.shape[0]
''',
}

WRONG = {
    "split_train_validation": '''
# slices the indices with [:-n_validation] and [-n_validation:]: for n_validation = 0 training is empty and everything validates
def split_train_validation(dataset, n_validation):
    indices = range(len(dataset))
    return Subset(dataset, indices[:-n_validation]), Subset(dataset, indices[-n_validation:])
''',
    "CNN": '''
# no ReLU after the first linear layer: two linear layers in a row
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(self.fc1(torch.flatten(x, 1)))
''',
    "train_step": '''
# never zeroes the gradients: each step adds its gradients to those of earlier steps
def train_step(model, optimizer, x, y):
    model.train()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
''',
    "accuracy": '''
# returns numpy.float64 (the mean of a numpy array), not the Python float the text asks for
def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).numpy().mean()
''',
}
