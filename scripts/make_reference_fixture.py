#!/usr/bin/env python3
"""Generate the PyTorch reference fixture for the Swift NN tests.

Output: Tests/NNTests/Fixtures/reference_net.safetensors

Description of the fixture (plain text)
---------------------------------------
All tensors are float32, row-major, PyTorch layout (NCHW activations,
conv weights [out, in, kh, kw], linear weights [out, in]).

Seeding: torch.manual_seed(0) is called once, then, in this order, the model
is constructed (default PyTorch init), the input x = randn(4, 3, 10, 10) is
drawn, then labels y = randint(0, 5, (4,)).

Network (train mode unless noted):
    conv1  Conv2d(3, 6, 3, stride=1, padding=1, bias=True)      -> [4,6,10,10]
    bn1    BatchNorm2d(6, eps=1e-5, momentum=0.1)
    relu
    maxpool 2x2 stride 2                                        -> [4,6,5,5]
    conv2  Conv2d(6, 8, 3, stride=2, padding=1, bias=False)     -> [4,8,3,3]
    bn2    BatchNorm2d(8, eps=1e-5, momentum=0.1)
    relu
    flatten (C,H,W order)                                       -> [4,72]
    fc1    Linear(72, 16)                                       -> [4,16]
    l2     L2NormScale: y_j = scale_j * h_j / sqrt(sum_k h_k^2 + 1e-10)
           (per example, eps INSIDE the sqrt, scale is a learnable [16]
           vector initialised to 10.0). No ReLU before it: negatives exist.
    fc2    Linear(16, 5)                                        -> logits [4,5]
    loss   CrossEntropy, mean over the batch.

BatchNorm in train mode normalises with the biased batch variance and
updates running stats as
    running_mean = 0.9 * running_mean + 0.1 * batch_mean
    running_var  = 0.9 * running_var  + 0.1 * batch_var_unbiased  (n/(n-1))
with n = N*H*W. Initial running stats are mean 0, var 1.

Keys:
    input [4,3,10,10], labels [4] (class indices stored as float32)
    initial parameters / buffers:
        conv1.weight conv1.bias bn1.weight bn1.bias bn1.running_mean
        bn1.running_var conv2.weight bn2.weight bn2.bias bn2.running_mean
        bn2.running_var fc1.weight fc1.bias l2.scale fc2.weight fc2.bias
    one forward/backward from the initial parameters (train mode):
        out.logits [4,5], out.loss [1], grad.input [4,3,10,10],
        grad.<p> for every trainable p (conv1.weight conv1.bias bn1.weight
        bn1.bias conv2.weight bn2.weight bn2.bias fc1.weight fc1.bias
        l2.scale fc2.weight fc2.bias),
        after1.bn{1,2}.running_{mean,var}   (running stats after that forward)
    three SGD steps from a fresh copy of the initial state:
        torch.optim.SGD(lr=0.05, momentum=0.9, weight_decay=5e-4), each step
        = zero_grad, train-mode forward on the same input, loss, backward,
        step.  step{1,2,3}.loss [1] is the loss computed before that step's
        update.  after3.<p> for every trainable p, after3.bn{1,2}.running_
        {mean,var} (three running-stat updates).
        eval.logits [4,5]: the model after the 3 steps, in eval mode (uses
        the after3 running stats), forward on the input.

SGD semantics (PyTorch, dampening 0, no nesterov); weight decay is applied to
EVERY trainable parameter, including BN gamma/beta, biases and l2.scale:
    v <- momentum * v + (g + wd * w)      (v starts at 0, so v1 = g + wd*w)
    w <- w - lr * v
Caffe's form
    v' <- momentum * v' + lr * (g + wd * w)
    w  <- w - v'
is identical to PyTorch's when lr is constant (v' = lr * v by induction),
and differs only when lr changes between steps (Caffe's velocity carries the
old lr). That is why this fixture uses a constant learning rate: a Swift
implementation in either form must match it.

Safetensors metadata: torch_version, seed, description, keys.
"""

import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

SEED = 0
LR = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
L2_EPS = 1e-10

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "NNTests", "Fixtures")
OUT_PATH = os.path.join(OUT_DIR, "reference_net.safetensors")


class L2NormScale(nn.Module):
    def __init__(self, features, init_scale=10.0, eps=L2_EPS):
        super().__init__()
        self.scale = nn.Parameter(torch.full((features,), float(init_scale)))
        self.eps = eps

    def forward(self, h):
        norm = torch.sqrt((h * h).sum(dim=1, keepdim=True) + self.eps)
        return self.scale * h / norm


class RefNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, stride=1, padding=1, bias=True)
        self.bn1 = nn.BatchNorm2d(6, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=1e-5, momentum=0.1)
        self.fc1 = nn.Linear(72, 16)
        self.l2 = L2NormScale(16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, kernel_size=2, stride=2)
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = self.l2(x)
        return self.fc2(x)


TRAINABLE = [
    "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
    "conv2.weight", "bn2.weight", "bn2.bias",
    "fc1.weight", "fc1.bias", "l2.scale", "fc2.weight", "fc2.bias",
]
INITIAL = [
    "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
    "bn1.running_mean", "bn1.running_var", "conv2.weight",
    "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var",
    "fc1.weight", "fc1.bias", "l2.scale", "fc2.weight", "fc2.bias",
]
RUNNING = ["bn1.running_mean", "bn1.running_var",
           "bn2.running_mean", "bn2.running_var"]


def t(x):
    return x.detach().clone().contiguous().to(torch.float32)


def main():
    torch.manual_seed(SEED)
    model0 = RefNet().float()
    x = torch.randn(4, 3, 10, 10)
    y = torch.randint(0, 5, (4,))

    sd0 = model0.state_dict()
    assert set(TRAINABLE) == {n for n, _ in model0.named_parameters()}
    tensors = {"input": t(x), "labels": t(y.float())}
    for k in INITIAL:
        tensors[k] = t(sd0[k])

    # ---- one forward / backward from the initial parameters --------------
    m1 = copy.deepcopy(model0)
    m1.train()
    xin = x.clone().requires_grad_(True)
    logits = m1(xin)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    tensors["out.logits"] = t(logits)
    tensors["out.loss"] = t(loss.reshape(1))
    tensors["grad.input"] = t(xin.grad)
    params1 = dict(m1.named_parameters())
    for k in TRAINABLE:
        tensors["grad." + k] = t(params1[k].grad)
    sd1 = m1.state_dict()
    for k in RUNNING:
        tensors["after1." + k] = t(sd1[k])

    # ---- three SGD steps from a fresh copy -----------------------------
    m3 = copy.deepcopy(model0)
    m3.train()
    opt = torch.optim.SGD(m3.parameters(), lr=LR, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)
    for k in range(1, 4):
        opt.zero_grad()
        out = m3(x)
        l = F.cross_entropy(out, y)
        tensors[f"step{k}.loss"] = t(l.reshape(1))
        l.backward()
        opt.step()
    params3 = dict(m3.named_parameters())
    for k in TRAINABLE:
        tensors["after3." + k] = t(params3[k])
    sd3 = m3.state_dict()
    for k in RUNNING:
        tensors["after3." + k] = t(sd3[k])

    m3.eval()
    with torch.no_grad():
        tensors["eval.logits"] = t(m3(x))

    # Sanity check: manual PyTorch-form SGD reproduces optimizer result.
    mc = copy.deepcopy(model0)
    mc.train()
    vel = {n: torch.zeros_like(p) for n, p in mc.named_parameters()}
    for _ in range(3):
        mc.zero_grad()
        F.cross_entropy(mc(x), y).backward()
        with torch.no_grad():
            for n, p in mc.named_parameters():
                vel[n].mul_(MOMENTUM).add_(p.grad + WEIGHT_DECAY * p)
                p.sub_(LR * vel[n])
    for n, p in mc.named_parameters():
        assert torch.allclose(p, tensors["after3." + n], rtol=1e-5, atol=1e-6), n

    os.makedirs(OUT_DIR, exist_ok=True)
    keys = list(tensors.keys())
    metadata = {
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "description": (
            "GrowingBrain reference net: conv1(3->6,3x3,p1,bias)-bn1-relu-"
            "maxpool2-conv2(6->8,3x3,s2,p1,nobias)-bn2-relu-flatten(72)-"
            "fc1(72->16)-L2NormScale(scale[16]=10, y=s*h/sqrt(sum h^2+1e-10))"
            "-fc2(16->5), CrossEntropy mean; BN train mode eps 1e-5 momentum "
            "0.1 (unbiased running var); SGD lr 0.05 momentum 0.9 wd 5e-4 "
            "PyTorch form (v=m*v+g+wd*w; w-=lr*v), 3 steps; labels stored "
            "as float32. See scripts/make_reference_fixture.py header."
        ),
        "keys": ",".join(keys),
    }
    save_file(tensors, OUT_PATH, metadata=metadata)

    print(f"wrote {OUT_PATH} ({os.path.getsize(OUT_PATH)} bytes, "
          f"{len(keys)} tensors)")
    for k in keys:
        v = tensors[k]
        print(f"  {k:28s} {list(v.shape)}")
    print("loss: out=%.6f step1=%.6f step2=%.6f step3=%.6f" % (
        tensors["out.loss"].item(), tensors["step1.loss"].item(),
        tensors["step2.loss"].item(), tensors["step3.loss"].item()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
