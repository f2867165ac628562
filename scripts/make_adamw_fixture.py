#!/usr/bin/env python3
"""Generate the PyTorch AdamW reference fixture for the Swift Training tests.

Run with the project's torch environment:
    /work/torchenv/bin/python scripts/make_adamw_fixture.py

Output: Tests/TrainingTests/Fixtures/adamw_reference.safetensors

Description of the fixture (plain text)
---------------------------------------
All tensors are float32, row-major, PyTorch layout (linear weights [out, in]).

Seeding: torch.manual_seed(0) once, then in this order the model is built
(default PyTorch init), the input x = randn(5, 6) is drawn, then labels
y = randint(0, 4, (5,)).

Network (no dropout, no batch norm, so train and eval mode agree):
    fc1   Linear(6, 8)    -> [5, 8]
    relu
    fc2   Linear(8, 4)    -> logits [5, 4]
    loss  CrossEntropy, mean over the batch.

Optimizer: torch.optim.AdamW(betas=(0.9, 0.999), eps=1e-8, amsgrad=False,
maximize=False, foreach=False: the single-tensor code path) with three
parameter groups, which is how the Swift side's per-parameter multipliers
read in PyTorch:
    fc1.weight, fc1.bias   lr = 10 * LR, weight_decay = WD   (lr multiplier 10)
    fc2.weight             lr = LR,      weight_decay = WD
    fc2.bias               lr = LR,      weight_decay = 0    (decay multiplier 0)
with LR = 0.01 and WD = 0.1. The decoupled decay multiplies by
(1 - lr_group * wd_group), i.e. with the parameter's own learning rate.

PyTorch's per-element update (step t starts at 0; all tensor ops in float32,
the scalars in double and cast to float by the kernels):
    t   <- t + 1
    p   <- p * (1 - lr * wd)
    m   <- m.lerp(g, 1 - beta1)                  (m + (1-beta1)(g - m))
    v   <- v * beta2 + (1 - beta2) * g * g
    den <- sqrt(v) / sqrt(1 - beta2^t) + eps
    p   <- p + (-lr / (1 - beta1^t)) * m / den

Three steps, each = zero_grad, forward on the same (x, y), loss, backward,
step. Keys:
    input [5, 6], labels [5] (class indices stored as float32)
    fc1.weight fc1.bias fc2.weight fc2.bias       initial parameters
    step{k}.loss [1]      loss before the k-th update (k = 1, 2, 3)
    step{k}.<p>           every parameter after the k-th update
    step3.exp_avg.<p>, step3.exp_avg_sq.<p>   optimizer state after step 3

Safetensors metadata: torch_version, seed, lr, weight_decay, betas, eps,
description, keys.
"""

import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

SEED = 0
LR = 0.01
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.999)
EPS = 1e-8
STEPS = 3
PARAMS = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures")
OUT_PATH = os.path.join(OUT_DIR, "adamw_reference.safetensors")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def t(x):
    return x.detach().clone().contiguous().to(torch.float32)


def groups(model):
    """The three parameter groups: (params, lr, weight decay)."""
    return [
        {"params": [model.fc1.weight, model.fc1.bias], "lr": 10 * LR, "weight_decay": WEIGHT_DECAY},
        {"params": [model.fc2.weight], "lr": LR, "weight_decay": WEIGHT_DECAY},
        {"params": [model.fc2.bias], "lr": LR, "weight_decay": 0.0},
    ]


def manual_adamw(model0, x, y):
    """The documented formula, written out, as a check on the reading of torch's code."""
    model = copy.deepcopy(model0)
    lr = {"fc1.weight": 10 * LR, "fc1.bias": 10 * LR, "fc2.weight": LR, "fc2.bias": LR}
    wd = {"fc1.weight": WEIGHT_DECAY, "fc1.bias": WEIGHT_DECAY, "fc2.weight": WEIGHT_DECAY, "fc2.bias": 0.0}
    b1, b2 = BETAS
    params = dict(model.named_parameters())
    m = {n: torch.zeros_like(p) for n, p in params.items()}
    v = {n: torch.zeros_like(p) for n, p in params.items()}
    for step in range(1, STEPS + 1):
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for n, p in params.items():
                g = p.grad
                p.mul_(1 - lr[n] * wd[n])
                m[n] = m[n] + (1 - b1) * (g - m[n])
                v[n] = v[n] * b2 + (1 - b2) * g * g
                den = v[n].sqrt() / (1 - b2 ** step) ** 0.5 + EPS
                p.add_((-lr[n] / (1 - b1 ** step)) * m[n] / den)
    return params


def main():
    torch.manual_seed(SEED)
    model0 = Net().float()
    x = torch.randn(5, 6)
    y = torch.randint(0, 4, (5,))
    assert PARAMS == [n for n, _ in model0.named_parameters()]

    tensors = {"input": t(x), "labels": t(y.float())}
    for n, p in model0.named_parameters():
        tensors[n] = t(p)

    model = copy.deepcopy(model0)
    opt = torch.optim.AdamW(groups(model), lr=LR, betas=BETAS, eps=EPS,
                            weight_decay=WEIGHT_DECAY, amsgrad=False,
                            maximize=False, foreach=False)
    params = dict(model.named_parameters())
    for k in range(1, STEPS + 1):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        tensors[f"step{k}.loss"] = t(loss.reshape(1))
        loss.backward()
        opt.step()
        for n in PARAMS:
            tensors[f"step{k}.{n}"] = t(params[n])
    for n in PARAMS:
        state = opt.state[params[n]]
        assert float(state["step"]) == STEPS, (n, state["step"])
        tensors[f"step{STEPS}.exp_avg.{n}"] = t(state["exp_avg"])
        tensors[f"step{STEPS}.exp_avg_sq.{n}"] = t(state["exp_avg_sq"])

    manual = manual_adamw(model0, x, y)
    for n in PARAMS:
        diff = (manual[n] - tensors[f"step{STEPS}.{n}"]).abs().max().item()
        assert diff < 1e-6, f"manual formula disagrees with torch.optim.AdamW on {n}: {diff}"

    os.makedirs(OUT_DIR, exist_ok=True)
    keys = list(tensors.keys())
    metadata = {
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "lr": repr(LR),
        "weight_decay": repr(WEIGHT_DECAY),
        "betas": repr(BETAS),
        "eps": repr(EPS),
        "description": (
            "GrowingBrain AdamW reference: fc1 Linear(6->8)-relu-fc2 Linear(8->4), "
            "CrossEntropy mean; torch.optim.AdamW single-tensor path, 3 steps, groups "
            "fc1.* lr x10, fc2.weight, fc2.bias wd 0. See scripts/make_adamw_fixture.py."
        ),
        "keys": ",".join(keys),
    }
    save_file(tensors, OUT_PATH, metadata=metadata)
    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes, {len(keys)} tensors)")
    print("loss: " + " ".join("step%d=%.6f" % (k, tensors[f"step{k}.loss"].item()) for k in range(1, STEPS + 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
