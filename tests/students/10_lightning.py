"""Synthetic students for 10_lightning: correct answers written differently, and plausible wrong ones."""

CORRECT = {
    "split_train_validation": '''
def split_train_validation(dataset, n_validation):
    indices = torch.arange(len(dataset))
    n_train = indices.numel() - n_validation
    return Subset(dataset, indices[:n_train].tolist()), Subset(dataset, indices[n_train:].tolist())
''',
    "LitCNN": '''
class LitCNN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        self.hidden = nn.Linear(64 * 5 * 5, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.relu(self.hidden(x.view(x.size(0), -1)))
        return self.out(x)

    def training_step(self, batch, batch_idx):
        images, labels = batch
        loss = F.nll_loss(F.log_softmax(self.forward(images), dim=1), labels)
        self.log_dict({"train_loss": loss}, on_epoch=True, on_step=False, prog_bar=True)
        return {"loss": loss}

    def evaluation_step(self, batch, stage):
        x, y = batch
        logits = self(x)
        self.log(f"{stage}_loss", F.cross_entropy(logits, y))
        self.log(f"{stage}_accuracy", accuracy(logits, y))

    def validation_step(self, batch, batch_idx):
        self.evaluation_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self.evaluation_step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    "accuracy": '''
def accuracy(logits, labels):
    hits = torch.eq(torch.max(logits, dim=1).indices, labels)
    return hits.sum().item() / hits.numel()
''',
}

WRONG = {
    "split_train_validation": '''
# slices the indices with [:-n_validation] and [-n_validation:]: for n_validation = 0 training is empty and everything validates
def split_train_validation(dataset, n_validation):
    indices = list(range(len(dataset)))
    return Subset(dataset, indices[:-n_validation]), Subset(dataset, indices[-n_validation:])
''',
    "LitCNN": '''
# logs train_loss with self.log's defaults, which in training_step record each step's value, not the epoch's mean
class LitCNN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def evaluation_step(self, batch, stage):
        x, y = batch
        logits = self(x)
        self.log(f"{stage}_loss", F.cross_entropy(logits, y))
        self.log(f"{stage}_accuracy", accuracy(logits, y))

    def validation_step(self, batch, batch_idx):
        self.evaluation_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self.evaluation_step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    "accuracy": '''
# returns numpy.float64 (the mean of a numpy array), not the Python float the text asks for
def accuracy(logits, labels):
    return np.mean(logits.argmax(dim=1).numpy() == labels.numpy())
''',
}

LOSES = {"LitCNN": ["test_training_step"]}  # its model is right: only the logging is wrong
