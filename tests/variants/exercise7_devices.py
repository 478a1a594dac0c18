"""Exercise 7 solved correctly in another style (aliased imports, cuda:0, positional map_location)."""

import torch
from torch import load
from torch.cuda import device_count
from torch.nn import DataParallel


def pick_device():
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    return torch.device("cpu")


def move_to(obj, device):
    if torch.is_tensor(obj):
        return obj.to(device)
    elif isinstance(obj, dict):
        res = {}
        for k, v in obj.items():
            res[k] = move_to(v, device)
        return res
    elif isinstance(obj, (list, tuple)):
        return type(obj)(move_to(v, device) for v in obj)
    else:
        return obj


def model_device(model):
    for p in model.parameters():
        return p.device


def load_to_device(path, model, device):
    model.to(device)
    model.load_state_dict(load(path, device))
    return model


def parallelize(model):
    if torch.cuda.is_available() and device_count() > 1:
        model = DataParallel(model)
    return model


def train_step(model, batch, criterion, optimizer, device):
    x, y = batch
    x = x.to(device)
    y = y.to(device)
    optimizer.zero_grad()
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()
    return float(loss)
