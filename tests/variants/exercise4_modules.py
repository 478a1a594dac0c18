"""Exercise 4 solved correctly in another style: the checks must give it full marks."""

from collections import OrderedDict

import torch
import torch.nn as nn


class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        # registered in another order than they run, with an in-place ReLU
        self.linear2 = nn.Linear(hidden_size, output_size)
        self.activation = nn.ReLU(inplace=True)
        self.linear1 = nn.Linear(input_size, hidden_size)

    def forward(self, x):
        hidden = self.activation(self.linear1(x))
        return self.linear2(hidden)


def build_mlp(input_size=784, hidden_size=128, num_classes=10, dropout=0.2):
    return nn.Sequential(
        OrderedDict(
            [
                ("fc1", nn.Linear(input_size, hidden_size)),
                ("relu", nn.ReLU(inplace=True)),
                ("dropout", nn.Dropout(p=dropout)),
                ("fc2", nn.Linear(hidden_size, num_classes)),
            ]
        )
    )


def count_parameters(model):
    total = 0
    for _, parameter in model.named_parameters():
        if parameter.requires_grad:
            total += parameter.numel()
    return total


@torch.inference_mode()
def predict(model, x):
    model.train(False)
    return torch.argmax(model(x), 1)
