#!/usr/bin/env python3
"""Generate the torchvision fixtures for Tests/ZooTests/TorchvisionLayoutTests.swift.

For each architecture (alexnet, vgg16, resnet18, resnet50), in Tests/ZooTests/Fixtures/:

    torchvision_<arch>_names.txt       every state_dict() entry of torchvision's model (num_classes=1000),
                                       in state_dict order, one per line: name<TAB>[d0,d1,...]
                                       ("[]" for 0-d). num_batches_tracked lines are kept: the Swift
                                       loader ignores exactly those. Lines starting with '#' are comments.
    torchvision_<arch>_modules.txt     the modules growth code addresses by name: named_modules() down to
                                       two levels ("layer1", "layer1.0", "features.4"), one per line:
                                       name<TAB>class name<TAB>repr (repr of leaf modules, for readers).
    torchvision_<arch>.safetensors     "input" [N,3,H,W] float32 and "logits" [N,1000] float32:
                                       torchvision's eval-mode output for that input with the
                                       deterministic weights below; "sample.<name>" [<=8]: the first
                                       values (row-major) of every deterministic tensor, so a mismatch
                                       is traced to the generator before the layout is suspected.

Deterministic weights (full width, never stored; Tests/ZooTests/DeterministicWeights.swift is the
Swift twin and the two must stay identical):
    h        = FNV-1a 64 of the entry name's UTF-8 bytes
    z_i      = splitmix64(h XOR i) for element index i (row-major), with
               splitmix64(x): z = x + 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;
                              z = (z ^ z>>27) * 0x94D049BB133111EB; return z ^ z>>31   (mod 2**64)
    u_i      = float32((z_i >> 40) * 2**-23 - 1)          uniform in [-1, 1), exact in float32
    value_i  = float32(offset + float32(scale * u_i))      per-tensor (offset, scale):
        *.running_var                  (1, 0.5)     in [0.5, 1.5)
        *.running_mean                 (0, 0.1)
        *.weight of rank 1 (BatchNorm) (1, 0.25)
        *.bias                         (0, 0.1)
        *.weight of rank >= 2          (0, sqrt(6 / fan_in)) with fan_in = prod(shape[1:]):
                                       variance 2 / fan_in, He's ReLU gain
    num_batches_tracked is left as torchvision makes it (int64 0).

Inputs are torch.randn with torch.manual_seed(0) before each architecture.
Run:  /work/torchenv/bin/python scripts/make_torchvision_fixtures.py
(torch and torchvision; torchvision's compiled operators are not needed: the model definitions
are imported through a package stub).
"""
import importlib.util
import math
import os
import sys
import types

import numpy as np
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ZooTests", "Fixtures")

# name -> (torchvision constructor, input shape). Sizes exercise the adaptive pools: VGG's 2x2 map
# pools to 7x7 through overlapping bins, AlexNet's 2x2 replicates to 6x6.
ARCHITECTURES = {
    "alexnet": ("alexnet.alexnet", (1, 3, 95, 95)),
    "vgg16": ("vgg.vgg16", (1, 3, 64, 64)),
    "resnet18": ("resnet.resnet18", (2, 3, 64, 64)),
    "resnet50": ("resnet.resnet50", (2, 3, 64, 64)),
}

MASK = (1 << 64) - 1


def import_models():
    """torchvision.models without torchvision/__init__.py (which loads the compiled operators)."""
    directory = os.path.dirname(importlib.util.find_spec("torchvision").origin)
    package = types.ModuleType("torchvision")
    package.__path__ = [directory]
    sys.modules["torchvision"] = package
    # Modules, not the functions of the same name that torchvision.models re-exports.
    return {name: importlib.import_module(f"torchvision.models.{name}") for name in ("alexnet", "vgg", "resnet")}


def fnv1a64(name):
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(h, start, count):
    """u_i in [-1, 1) for element indices start ..< start+count of the tensor whose name hashes to h."""
    with np.errstate(over="ignore"):
        z = np.uint64(h) ^ np.arange(start, start + count, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-23)) - np.float32(1)


def offset_and_scale(name, shape):
    if name.endswith("running_var"):
        return 1.0, 0.5
    if name.endswith("running_mean"):
        return 0.0, 0.1
    if name.endswith(".bias"):
        return 0.0, 0.1
    if name.endswith(".weight") and len(shape) == 1:
        return 1.0, 0.25
    if name.endswith(".weight"):
        return 0.0, math.sqrt(6.0 / math.prod(shape[1:]))
    raise ValueError(f"no deterministic rule for {name} {shape}")


def deterministic(name, shape, chunk=1 << 24):
    count = math.prod(shape)
    offset, scale = np.float32(offset_and_scale(name, shape)[0]), np.float32(offset_and_scale(name, shape)[1])
    out = np.empty(count, dtype=np.float32)
    h = fnv1a64(name)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        out[start:start + n] = offset + scale * uniform(h, start, n)
    return torch.from_numpy(out.reshape(shape))


def make(arch, models):
    constructor, input_shape = ARCHITECTURES[arch]
    module, function = constructor.split(".")
    torch.manual_seed(0)
    model = getattr(models[module], function)(num_classes=1000).eval()
    state = model.state_dict()
    lines = [f"# torchvision {arch} state_dict (torch {torch.__version__}, made by scripts/make_torchvision_fixtures.py);",
             "# num_batches_tracked entries are int64 counters the Swift loader ignores."]
    weights = {}
    for name, tensor in state.items():
        lines.append(f"{name}\t[{','.join(str(d) for d in tensor.shape)}]")
        if not name.endswith("num_batches_tracked"):
            weights[name] = deterministic(name, tuple(tensor.shape))
    model.load_state_dict(weights, strict=False)
    x = torch.randn(*input_shape)
    with torch.no_grad():
        logits = model(x)
    with open(os.path.join(OUT, f"torchvision_{arch}_names.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    modules = [f"# torchvision {arch} named_modules() to depth 2 (torch {torch.__version__}): name, class, repr of leaves"]
    for name, module in model.named_modules():
        if name and name.count(".") <= 1:
            leaf = not list(module.children())
            modules.append(f"{name}\t{type(module).__name__}\t{repr(module) if leaf else ''}")
    with open(os.path.join(OUT, f"torchvision_{arch}_modules.txt"), "w") as f:
        f.write("\n".join(modules) + "\n")
    samples = {f"sample.{name}": w.reshape(-1)[:8].clone() for name, w in weights.items()}
    save_file({"input": x.contiguous(), "logits": logits.contiguous(), **samples}, os.path.join(OUT, f"torchvision_{arch}.safetensors"),
              metadata={"source": "make_torchvision_fixtures.py", "arch": arch})
    print(f"{arch}: {len(state)} entries, input {list(x.shape)}, logits max |.| {logits.abs().max().item():.4g}, "
          f"std {logits.std().item():.4g}")


def main():
    os.makedirs(OUT, exist_ok=True)
    models = import_models()
    for arch in (sys.argv[1:] or ARCHITECTURES):
        make(arch, models)


if __name__ == "__main__":
    main()
