"""Synthetic students for 09_pytorch: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "initial_loss": '''
def initial_loss(model, x, y):
    model.train(False)
    with torch.inference_mode():
        log_probabilities = torch.log_softmax(model(x), dim=-1)
    n_classes = log_probabilities.size(-1)
    measured = -log_probabilities[torch.arange(len(y)), y].mean()
    return float(-np.log(1.0 / n_classes)), float(measured)
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
    "overfit_one_batch": '''
def overfit_one_batch(model, x, y, n_steps):
    adam = torch.optim.Adam(params=list(model.parameters()), lr=1e-3)
    model.train()
    history = []
    step = 0
    while step < n_steps:
        adam.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        history.append(loss.item())
        loss.backward()
        adam.step()
        step += 1
    return history
''',
}

WRONG = {
    "initial_loss": '''
# applies a softmax before F.cross_entropy, which applies the log-softmax itself: right only when the prediction is uniform
def initial_loss(model, x, y):
    model.eval()
    with torch.no_grad():
        probabilities = F.softmax(model(x), dim=1)
    return math.log(probabilities.shape[1]), F.cross_entropy(probabilities, y).item()
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
    "overfit_one_batch": '''
# steps with plain SGD at protocol.LEARNING_RATE: 1e-3 is Adam's rate, and SGD at it barely lowers the loss in 50 steps
def overfit_one_batch(model, x, y, n_steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=protocol.LEARNING_RATE)
    return [train_step(model, optimizer, x, y) for _ in range(n_steps)]
''',
}

LOSES = {"train_step": ["test_train_step", "test_overfit_one_batch"]}  # overfit_one_batch steps with the student's train_step
