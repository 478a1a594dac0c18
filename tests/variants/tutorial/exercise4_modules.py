"""Exercise 4 written the tutorial's way: its classes and helpers, prints included, and the lesson's check of the model
run at import, as a beginner leaves it; adapted only to the function names."""

import torch
import torch.nn as nn


class SimpleNetwork(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.activation = nn.ReLU()
        self.linear2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = self.linear1(x)
        x = self.activation(x)
        x = self.linear2(x)
        return x


def build_mlp(input_size=784, hidden_size=128, num_classes=10, dropout=0.2):
    model = nn.Sequential(
        nn.Linear(input_size, hidden_size),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_size, num_classes),
    )
    print(model)
    return model


def count_parameters(model):
    total = 0
    for name, param in model.named_parameters():
        if param.requires_grad:
            print(f"{name}: {list(param.shape)} -> {param.numel()}")
            total += param.numel()
    print(f"Всего обучаемых параметров: {total}")
    return total


def predict(model, x):
    model.eval()
    with torch.no_grad():
        outputs = model(x)
        _, predicted = torch.max(outputs.data, 1)
    return predicted


# Проверим модель, как в уроке
model = SimpleNetwork(784, 128, 10)
print(model)
x = torch.randn(64, 784)
print(model(x).shape)
print("Параметров:", count_parameters(build_mlp()))
