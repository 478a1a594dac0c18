from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "eval mode forgotten in predict",
        """
def predict(model, x):
    with torch.no_grad():
        return model(x).argmax(dim=1)
""",
        ("predict", "predict_leaves_eval"),
    ),
    Mistake(
        "ReLU after the last layer of SimpleNetwork",
        """
class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.activation = nn.ReLU()
        self.linear2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.activation(self.linear2(self.activation(self.linear1(x))))
""",
        ("simple_network_forward",),
    ),
    Mistake(
        "ReLU after the last layer of build_mlp",
        """
def build_mlp(input_size=784, hidden_size=128, num_classes=10, dropout=0.2):
    return nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden_size, num_classes), nn.ReLU())
""",
        ("build_mlp_structure", "build_mlp_defaults", "build_mlp_forward"),
    ),
    Mistake(
        "Dropout missing from build_mlp",
        """
def build_mlp(input_size=784, hidden_size=128, num_classes=10, dropout=0.2):
    return nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, num_classes))
""",
        ("build_mlp_structure", "build_mlp_defaults"),
    ),
    Mistake(
        "dropout argument ignored",
        """
def build_mlp(input_size=784, hidden_size=128, num_classes=10, dropout=0.2):
    return nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden_size, num_classes))
""",
        ("build_mlp_structure",),
    ),
    Mistake(
        "frozen parameters counted",
        """
def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
""",
        ("count_parameters_frozen",),
    ),
    Mistake(
        "state_dict entries counted (buffers too)",
        """
def count_parameters(model):
    return sum(v.numel() for v in model.state_dict().values())
""",
        ("count_parameters",),
    ),
    Mistake(
        "no torch.no_grad in predict",
        """
def predict(model, x):
    model.eval()
    return model(x).argmax(dim=1)
""",
        ("predict_no_grad",),
    ),
    Mistake(
        "predict switches back to train mode",
        """
def predict(model, x):
    model.eval()
    with torch.no_grad():
        out = model(x).argmax(dim=1)
    model.train()
    return out
""",
        ("predict_leaves_eval",),
    ),
    Mistake(
        "submodules with other names",
        """
class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))
""",
        ("simple_network_structure", "simple_network_forward"),
    ),
    Mistake(
        "sigmoid as the activation",
        """
class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.activation = nn.Sigmoid()
        self.linear2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.linear2(self.activation(self.linear1(x)))
""",
        ("simple_network_structure", "simple_network_forward"),
    ),
    Mistake(
        "forward flattens its input to (batch, -1), as the MNIST tutorial's network does",
        """
class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.activation = nn.ReLU()
        self.linear2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.linear2(self.activation(self.linear1(x)))
""",
        ("simple_network_forward_other_shapes",),
    ),
    Mistake(
        "count_parameters written for an nn.Sequential only: it iterates over the layers",
        """
def count_parameters(model):
    total = 0
    for layer in model:
        total += sum(p.numel() for p in layer.parameters() if p.requires_grad)
    return total
""",
        ("count_parameters_any_module",),
    ),
    Mistake(
        "predict squeezes the model's output, so a batch of one gives a 0-d tensor",
        """
def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x).squeeze().argmax(dim=-1)
""",
        ("predict_one_row",),
    ),
]
