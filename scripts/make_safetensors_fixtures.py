#!/usr/bin/env python3
"""Generate safetensors files written by the Python `safetensors` library, so the Swift
reader (Sources/NN/SafeTensors.swift) is tested against the reference writer, not only itself.

Outputs (in Tests/NNTests/Fixtures/):
    python_f32.safetensors   via safetensors.numpy, float32
    python_f16.safetensors   via safetensors.numpy, float16
    python_bf16.safetensors  via safetensors.torch, bfloat16 (numpy has no bfloat16)
    python_i64.safetensors   via safetensors.torch, int64 beside float32 (as in torchvision's
                             BatchNorm state dicts, whose num_batches_tracked is int64)

Every value below is exactly representable in its dtype, so the Swift test
(Tests/NNTests/SafeTensorsTests.swift) compares bit-for-bit; keep the two in sync.
Run:  /work/torchenv/bin/python scripts/make_safetensors_fixtures.py
(needs numpy, torch and safetensors: pip install safetensors numpy torch)
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures")
INF, NAN = float("inf"), float("nan")


def exact(values, dtype):
    """An array of `values` in `dtype`, refusing any value the dtype would round (the Swift test expects these exactly)."""
    arr = np.array(values, dtype=dtype)
    assert np.array_equal(arr.astype(np.float64), np.array(values, dtype=np.float64), equal_nan=True), values
    return arr


def exact_bf16(values):
    t = torch.tensor(values, dtype=torch.bfloat16)
    assert np.array_equal(t.double().numpy(), np.array(values, dtype=np.float64), equal_nan=True), values
    return t


def main():
    os.makedirs(OUT, exist_ok=True)

    f32 = {
        # 2**-149 is the smallest float32 subnormal; 3.4028234663852886e38 is float32 max.
        "weight": exact([[0.0, -0.0, 1.5], [-2.25, 3.4028234663852886e38, 2.0**-149]], np.float32),
        "bias": exact([1.0, 2.0, 3.0], np.float32),
        "special": np.array([INF, -INF, NAN, 0.1], dtype=np.float32),  # 0.1 is rounded: the test expects Float(0.1)
        "scalar": exact(7.0, np.float32),  # 0-d
        "empty": np.zeros((0, 4), dtype=np.float32),  # no elements, zero bytes
    }
    save_numpy(f32, os.path.join(OUT, "python_f32.safetensors"),
               metadata={"format": "np", "source": "make_safetensors_fixtures.py"})

    f16 = {
        # 65504 = max half; 2**-14 = min normal; 2**-24 = min subnormal; 1023 * 2**-24 = max subnormal.
        "half": exact([0.0, -0.0, 1.0, -2.0, 65504.0, 2.0**-14, 2.0**-24, -(2.0**-24),
                       2.0**-15 + 2.0**-24, 1023 * 2.0**-24, INF, -INF, NAN], np.float16),
        # 0.333251953125 is the half nearest 1/3; 3.140625 = 0x4248 in half.
        "half_matrix": exact([[0.333251953125, -1000.5], [3.140625, 0.5]], np.float16),
    }
    save_numpy(f16, os.path.join(OUT, "python_f16.safetensors"), metadata={"format": "np"})

    bf16 = {
        # 2**-130 is a bfloat16 subnormal (min normal is 2**-126).
        "brain": exact_bf16([0.0, -0.0, 1.0, -2.0, 3.140625, 2.0**100, -(2.0**-130), INF, -INF, NAN]),
        # bfloat16 max: (2 - 2**-7) * 2**127.
        "brain_max": exact_bf16((2 - 2.0**-7) * 2.0**127),
    }
    save_torch(bf16, os.path.join(OUT, "python_bf16.safetensors"), metadata={"format": "pt"})

    # A real BatchNorm's state dict after three training steps, plus int64 edge values. The reader
    # converts int64 to the nearest float32: 2**24 + 1 rounds (ties to even) to 2**24; 2**62 is exact.
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3)
    for _ in range(3):
        bn(torch.randn(2, 3, 2, 2))
    i64 = {f"bn.{k}": v.detach().clone() for k, v in bn.state_dict().items()}
    assert i64["bn.num_batches_tracked"].dtype == torch.int64 and int(i64["bn.num_batches_tracked"]) == 3
    i64["counts"] = torch.tensor([0, 1, -1, 7, 2**24, -(2**24), 2**24 + 1, 2**62], dtype=torch.int64)
    save_torch(i64, os.path.join(OUT, "python_i64.safetensors"), metadata={"format": "pt"})

    print("wrote", ", ".join(sorted(f for f in os.listdir(OUT) if f.startswith("python_"))))


if __name__ == "__main__":
    main()
