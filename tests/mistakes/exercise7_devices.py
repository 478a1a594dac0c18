"""Realistic mistakes with devices. The last two pass every public check and are caught by a teacher's hidden one alone."""

from tests.mistakes import Mistake

MISTAKES = [
    Mistake(
        "pick_device always cpu",
        """
def pick_device():
    return torch.device("cpu")
""",
        ("pick_device",),
    ),
    Mistake(
        "load without map_location",
        """
def load_to_device(path, model, device):
    model.load_state_dict(torch.load(path))
    return model.to(device)
""",
        ("load_to_device",),
    ),
    Mistake(
        "load that never moves the model",
        """
def load_to_device(path, model, device):
    model.load_state_dict(torch.load(path, map_location=device))
    return model
""",
        ("load_to_device",),
    ),
    Mistake(
        "move_to turning tuples into lists",
        """
def move_to(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: move_to(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [move_to(item, device) for item in obj]
    return obj
""",
        ("move_to",),
    ),
    Mistake(
        "parallelize that always wraps",
        """
def parallelize(model):
    return nn.DataParallel(model)
""",
        ("parallelize",),
    ),
    Mistake(
        "train_step returning the loss tensor",
        """
def train_step(model, batch, criterion, optimizer, device):
    inputs, targets = move_to(batch, device)
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss
""",
        ("train_step",),
    ),
    Mistake(
        "move_to assigning into the containers it is given",
        """
def move_to(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        for key in obj:
            obj[key] = move_to(obj[key], device)
        return obj
    if isinstance(obj, list):
        for index, item in enumerate(obj):
            obj[index] = move_to(item, device)
        return obj
    if isinstance(obj, tuple):
        return tuple(move_to(item, device) for item in obj)
    return obj
""",
        ("move_to_keeps_the_original",),
    ),
    Mistake(
        "train_step with a loss of its own",
        """
def train_step(model, batch, criterion, optimizer, device):
    inputs, targets = move_to(batch, device)
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()
""",
        ("train_step_with_another_loss",),
    ),
]
