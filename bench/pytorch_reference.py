#!/usr/bin/env python3
"""CPU PyTorch reference benchmark, mirroring `grow bench --json`.

Usage:
    python bench/pytorch_reference.py [--threads T] [--json] [--quick] [--only A,B]

Workloads (float32, NCHW, random inputs/labels, fixed seed):
    cifar-cnn    batch 64,  3x32x32 -> 10 classes
                 conv3x3(3->32,p1)-BN-ReLU, conv3x3(32->32,p1)-BN-ReLU, maxpool2,
                 conv3x3(32->64,p1)-BN-ReLU, conv3x3(64->64,p1)-BN-ReLU, maxpool2,
                 flatten(4096), linear(4096->256)-ReLU, linear(256->10)
    resnet18-64  batch 32,  3x64x64 -> 1000 classes, torchvision-layout
                 ResNet-18 (BasicBlock, [2,2,2,2], written here, no torchvision)
    mlp-head     batch 128, 4096 -> linear(4096->1024)-ReLU-linear(1024->100)
    mini-alexnet batch 64, 1x28x28 -> 10 classes, GrowingBrain's source network
                 (Sources/Zoo/MiniAlexNet.swift): 3 x [conv3x3(p1)-ReLU-maxpool2]
                 (32, 64, 128 channels), linear(1152->512)-ReLU-dropout 0.5,
                 linear(512->512)-ReLU-dropout 0.5, linear(512->10)
  Large (only with --only, like `grow bench`), 1000 classes:
    efficientnet-lite0-224  batch 16, 3x224x224 -> EfficientNet-Lite0 as in
                 Sources/Zoo/EfficientNetLite.swift (TF "SAME" padding,
                 ReLU6, no squeeze-excitation, dropout 0.2), written here
    efficientnet-lite0-112  batch 32, 3x112x112 -> the same network
    resnet18-224 batch 16, 3x224x224 -> the ResNet-18 above

Training images/s: zero_grad + forward + CrossEntropy + backward +
SGD(lr 0.01, momentum 0.9) step, model in train mode.
Inference images/s: model in eval mode under torch.no_grad(), forward only.
Each measurement: 3 warm-up steps, then 3 timing rounds, each running whole
steps until at least ~1 s has elapsed (~0.15 s with --quick); the best round
is reported. The large workloads take 1 warm-up step and the best of 2 single
steps (as `grow bench` times them). sgemm: 1024x1024x1024 float32 torch.mm, 2*n^3 flops, best of
several timed batches.

With --json exactly one JSON object is written to stdout:
    {"threads": T, "sgemm_gflops": x, "framework": "pytorch <version>",
     "workloads": [{"name": ..., "batch": ..., "train_images_per_s": ...,
                    "inference_images_per_s": ...}, ...]}
Progress messages go to stderr.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def cifar_cnn():
    return nn.Sequential(
        *conv_bn_relu(3, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
        *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 256), nn.ReLU(inplace=True),
        nn.Linear(256, 10))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """torchvision.models.resnet layout (conv1/bn1/layer1..4/fc)."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out",
                                        nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1,
                          stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnet18():
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=1000)


class TFSameConv2d(nn.Conv2d):
    """Bias-free Conv2d with TensorFlow "SAME" padding: the output side is
    ceil(input / stride) and an odd total padding puts the extra pixel at the
    bottom/right. Symmetric cases use the convolution's own padding."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1):
        super().__init__(cin, cout, kernel, stride=stride, groups=groups,
                         bias=False)

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        # (before, after) per spatial side, H then W
        sides = []
        for n in x.shape[2:]:
            total = max((-(-n // s) - 1) * s + k - n, 0)
            sides.append((total // 2, total - total // 2))
        if all(a == b for a, b in sides):
            return F.conv2d(x, self.weight, None, self.stride,
                            (sides[0][0], sides[1][0]), 1, self.groups)
        (top, bottom), (left, right) = sides
        return F.conv2d(F.pad(x, (left, right, top, bottom)), self.weight,
                        None, self.stride, 0, 1, self.groups)


def lite_bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class LiteBlock(nn.Module):
    """MBConv without squeeze-excitation: [1x1 expand-BN-ReLU6],
    kxk depthwise-BN-ReLU6, 1x1 project-BN; input added when shapes match."""

    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [TFSameConv2d(cin, hidden, 1), lite_bn(hidden),
                       nn.ReLU6(inplace=True)]
        layers += [TFSameConv2d(hidden, hidden, kernel, stride, groups=hidden),
                   lite_bn(hidden), nn.ReLU6(inplace=True),
                   TFSameConv2d(hidden, cout, 1), lite_bn(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return self.body(x) + x if self.residual else self.body(x)


# EfficientNet-Lite0 stages: repeats, kernel, first stride, expand, in, out
LITE0_STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24),
                (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
                (1, 3, 1, 6, 192, 320)]


def efficientnet_lite0(num_classes=1000):
    """Stem 3x3/2 3->32, 16 blocks, head 1x1 320->1280, average pool,
    dropout 0.2, linear 1280->classes; convolutions He-normal."""
    layers = [TFSameConv2d(3, 32, 3, 2), lite_bn(32), nn.ReLU6(inplace=True)]
    for repeats, kernel, stride, expand, cin, cout in LITE0_STAGES:
        for r in range(repeats):
            layers.append(LiteBlock(cin if r == 0 else cout, cout, kernel,
                                    stride if r == 0 else 1, expand))
    layers += [TFSameConv2d(320, 1280, 1), lite_bn(1280),
               nn.ReLU6(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Dropout(0.2), nn.Linear(1280, num_classes)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out",
                                    nonlinearity="relu")
    return model


def mini_alexnet():
    layers = []
    for cin, cout in [(1, 32), (32, 64), (64, 128)]:
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(),
                         nn.Linear(128 * 3 * 3, 512), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(512, 10))


def mlp_head():
    return nn.Sequential(nn.Linear(4096, 1024), nn.ReLU(inplace=True),
                         nn.Linear(1024, 100))


WORKLOADS = [
    # name, constructor, batch, input shape (without batch), classes
    ("cifar-cnn", cifar_cnn, 64, (3, 32, 32), 10),
    ("resnet18-64", resnet18, 32, (3, 64, 64), 1000),
    ("mlp-head", mlp_head, 128, (4096,), 100),
    ("mini-alexnet", mini_alexnet, 64, (1, 28, 28), 10),
]
DEFAULT = [w[0] for w in WORKLOADS]
LARGE = [
    ("efficientnet-lite0-224", efficientnet_lite0, 16, (3, 224, 224), 1000),
    ("efficientnet-lite0-112", efficientnet_lite0, 32, (3, 112, 112), 1000),
    ("resnet18-224", resnet18, 16, (3, 224, 224), 1000),
]
WORKLOADS += LARGE
LARGE_NAMES = {w[0] for w in LARGE}


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def best_rate(step, items_per_step, warmup, rounds, min_round_s):
    """Run `warmup` steps, then `rounds` rounds of whole steps each lasting
    at least min_round_s; return the best items/s over the rounds."""
    for _ in range(warmup):
        step()
    best = 0.0
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while True:
            step()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_round_s:
                break
        best = max(best, n * items_per_step / dt)
    return best


def bench_workload(name, ctor, batch, shape, classes, cfg):
    if name in LARGE_NAMES:
        cfg = dict(cfg, warmup=1, rounds=min(cfg["rounds"], 2), min_round_s=0)
    torch.manual_seed(0)
    model = ctor()
    x = torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            model(x)

    model.train()
    train = best_rate(train_step, batch, cfg["warmup"], cfg["rounds"],
                      cfg["min_round_s"])
    model.eval()
    infer = best_rate(infer_step, batch, cfg["warmup"], cfg["rounds"],
                      cfg["min_round_s"])
    return {"name": name, "batch": batch,
            "train_images_per_s": round(train, 2),
            "inference_images_per_s": round(infer, 2)}


def bench_sgemm(cfg, n=1024):
    torch.manual_seed(0)
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    best = float("inf")
    for _ in range(cfg["sgemm_rounds"]):
        t0 = time.perf_counter()
        for _ in range(cfg["sgemm_reps"]):
            torch.mm(a, b, out=c)
        best = min(best, (time.perf_counter() - t0) / cfg["sgemm_reps"])
    return 2.0 * n ** 3 / best / 1e9


# --------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="torch.set_num_threads (default: cpu count)")
    p.add_argument("--json", action="store_true",
                   help="print exactly one JSON object on stdout")
    p.add_argument("--quick", action="store_true",
                   help="short timing rounds (smoke test)")
    p.add_argument("--only", default=",".join(DEFAULT),
                   help="comma-separated workloads (default: %(default)s; "
                        "also " + ", ".join(sorted(LARGE_NAMES)) + ")")
    args = p.parse_args(argv)
    known = {w[0] for w in WORKLOADS}
    selected = args.only.split(",")
    unknown = [n for n in selected if n not in known]
    if unknown:  # e.g. grow's mini-alexnet, which has no twin here
        log(f"skipping workload(s) without a PyTorch version: "
            f"{', '.join(unknown)} (known: {', '.join(w[0] for w in WORKLOADS)})")

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    if args.quick:
        cfg = dict(warmup=3, rounds=3, min_round_s=0.15,
                   sgemm_rounds=3, sgemm_reps=2)
    else:
        cfg = dict(warmup=3, rounds=3, min_round_s=1.0,
                   sgemm_rounds=5, sgemm_reps=5)

    log(f"pytorch {torch.__version__}, threads={torch.get_num_threads()}"
        f"{' (quick)' if args.quick else ''}")
    sgemm = bench_sgemm(cfg)
    log(f"  sgemm 1024^3: {sgemm:.1f} GFLOP/s")
    results = []
    for name, ctor, batch, shape, classes in WORKLOADS:
        if name not in selected:
            continue
        r = bench_workload(name, ctor, batch, shape, classes, cfg)
        log(f"  {name}: train {r['train_images_per_s']:.1f} img/s, "
            f"inference {r['inference_images_per_s']:.1f} img/s")
        results.append(r)

    report = {"threads": args.threads,
              "sgemm_gflops": round(sgemm, 2),
              "framework": f"pytorch {torch.__version__}",
              "workloads": results}
    if args.json:
        print(json.dumps(report))
    else:
        print()
        print(f"{report['framework']}  threads={args.threads}  "
              f"sgemm(1024^3)={sgemm:.1f} GFLOP/s")
        print(f"{'workload':<24}{'batch':>6}{'train img/s':>14}"
              f"{'infer img/s':>14}")
        for r in results:
            print(f"{r['name']:<24}{r['batch']:>6}"
                  f"{r['train_images_per_s']:>14.1f}"
                  f"{r['inference_images_per_s']:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
