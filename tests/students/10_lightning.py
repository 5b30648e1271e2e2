"""Synthetic students for 10_lightning: correct answers written differently, and plausible wrong ones."""

CORRECT = {
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
        self.log(f"{stage}_accuracy", torchmetrics_accuracy(logits, y, task="multiclass", num_classes=10))

    def validation_step(self, batch, batch_idx):
        self.evaluation_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self.evaluation_step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    "StopAtTarget": '''
class StopAtTarget(L.Callback):
    def __init__(self, monitor, target):
        self.monitor, self.target = monitor, target

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None and float(value) > self.target:
            trainer.should_stop = True
''',
    "epoch_metrics": '''
def epoch_metrics(path):
    lines = Path(path).read_text().splitlines()
    header = lines[0].split(",")
    columns = {name: [] for name in header}
    for line in lines[1:]:
        for name, cell in zip(header, line.split(",")):
            if cell.strip():
                columns[name].append(float(cell))
    del columns["epoch"], columns["step"]
    return columns
''',
}

WRONG = {
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
        self.log(f"{stage}_accuracy", torchmetrics_accuracy(logits, y, task="multiclass", num_classes=10))

    def validation_step(self, batch, batch_idx):
        self.evaluation_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self.evaluation_step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=protocol.LEARNING_RATE)
''',
    "StopAtTarget": '''
# sets should_stop on the callback itself, which the Trainer never reads: training runs all its epochs
class StopAtTarget(L.Callback):
    def __init__(self, monitor, target):
        self.monitor, self.target = monitor, target

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking and trainer.callback_metrics[self.monitor] > self.target:
            self.should_stop = True
''',
    "epoch_metrics": '''
# turns empty cells into 0.0 instead of skipping them: every metric gets a value on every row, not one per epoch
def epoch_metrics(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    names = [name for name in rows[0] if name not in ("epoch", "step")] if rows else []
    return {name: [float(row[name] or 0.0) for row in rows] for name in names}
''',
}

LOSES = {"LitCNN": ["test_training_step"]}  # its model is right: only the logging is wrong
