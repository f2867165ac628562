#!/usr/bin/env python3
"""Generate the .pth fixtures for the Swift restricted PyTorch reader (Sources/Zoo/TorchPickle.swift,
TorchLegacyFile.swift, TorchZipFile.swift), tested in Tests/ZooTests/TorchPickleTests.swift.

Outputs (in Tests/ZooTests/Fixtures/, a few KB in all):
    tiny_legacy.pth     torch.save(state, _use_new_zipfile_serialization=False): the legacy format
    tiny_zip.pth        torch.save(state): the default zip format, same state
    whole_module.pth    torch.save(nn.Linear(2, 2), legacy): a pickled module, not a state dict
    evil_global.pth     legacy header, then a pickle whose GLOBAL is `os system` called by REDUCE
    evil_stack_global.pth  the same with protocol 4's STACK_GLOBAL (`posix system`)
    truncated_pickle.pth   tiny_legacy.pth cut inside the state-dict pickle
    truncated_data.pth     tiny_legacy.pth cut inside the last storage's data
    huge_count.pth      tiny_legacy.pth with the first storage's element count set to 2**40
    overflow_count.pth  the same with 2**62 (count * 4 bytes overflows Int64)
    view_past_end.pth   a hand-written legacy file whose tensor reads past its storage's end
    repeated_view.pth   a hand-written legacy file naming one 4-float tensor 300 times (memory expansion)
    wrong_magic.pth     a legacy file whose first pickle is another number
    plain_pickle.pth    pickle.dumps({"a": 1}): not a torch file at all

The state (values chosen exactly representable, so the Swift test compares exactly):
    conv.weight  float32 [2,1,2,2] = arange(8) - 3.5                     (own storage)
    shared.a     float32 [2,3]  = base[2:8],  storage offset 2          (base = arange(12) / 4)
    shared.b     float32 [6]    = base[6:12], storage offset 6           (same storage as shared.a)
    shared.t     float32 [4,3]  = base.view(3,4).t(): strides (1,4)       (same storage, non-contiguous)
    half         float16 [3]    = [0.5, -2, 1024]
    double       float64 [2]    = [0.25, -3]
    bn.num_batches_tracked  int64 [] = 7
In the legacy format the three `shared.*` entries reference one storage of 12 floats.
Legacy storage keys are memory addresses, so a re-run writes different bytes (same sizes); the Swift
test quotes only offsets that do not depend on them.

Run:  /work/torchenv/bin/python scripts/make_torch_fixtures.py   (needs torch)
"""
import collections
import io
import os
import pickle
import pickletools
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ZooTests", "Fixtures")
MAGIC = 0x1950A86A20F9469CFC6C
SYS_INFO = dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=4))


def state():
    base = torch.arange(12, dtype=torch.float32) / 4
    s = collections.OrderedDict()
    s["conv.weight"] = (torch.arange(8, dtype=torch.float32) - 3.5).view(2, 1, 2, 2)
    s["shared.a"] = base[2:8].view(2, 3)
    s["shared.b"] = base[6:12]
    s["shared.t"] = base.view(3, 4).t()
    s["half"] = torch.tensor([0.5, -2, 1024], dtype=torch.float16)
    s["double"] = torch.tensor([0.25, -3], dtype=torch.float64)
    s["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
    return s


def pickles(data):
    """Start and end offsets of each pickle at the head of a legacy file (header, version, sys info, state, keys)."""
    bounds, pos = [], 0
    for _ in range(5):
        end = pos
        for op, _, p in pickletools.genops(io.BytesIO(data[pos:])):
            if op.name == "STOP":
                end = pos + p + 1
                break
        bounds.append((pos, end))
        pos = end
    return bounds


def header():
    return pickle.dumps(MAGIC, protocol=2) + pickle.dumps(1001, protocol=2) + pickle.dumps(SYS_INFO, protocol=2)


class FakeStorage:
    """Pickled as a persistent id, as torch's legacy writer does: ('storage', type, key, location, numel, view)."""
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel, None)
        return None


def hand_written(entries, storages):
    """A legacy file from FakeTensor entries and {key: [floats]} storages (any sizes the test needs)."""
    buf = io.BytesIO()
    LegacyPickler(buf, protocol=2).dump(collections.OrderedDict(entries))
    data = header() + buf.getvalue() + pickle.dumps(list(storages), protocol=2)
    for values in storages.values():
        data += struct.pack("<q", len(values)) + struct.pack(f"<{len(values)}f", *values)
    return data


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    legacy = io.BytesIO()
    torch.save(state(), legacy, _use_new_zipfile_serialization=False)
    legacy = legacy.getvalue()
    write("tiny_legacy.pth", legacy)
    with open(os.path.join(OUT, "tiny_zip.pth"), "wb") as f:
        torch.save(state(), f)
    module = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), module, _use_new_zipfile_serialization=False)
    write("whole_module.pth", module.getvalue())

    # Hostile pickles, written byte by byte (never unpickled here).
    evil = b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
    write("evil_global.pth", header() + evil)
    stack_evil = (b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x0aecho pwned\x94\x85\x94R\x94.")
    write("evil_stack_global.pth", header() + stack_evil)

    bounds = pickles(legacy)
    state_start, state_end = bounds[3]
    write("truncated_pickle.pth", legacy[: (state_start + state_end) // 2])
    write("truncated_data.pth", legacy[:-6])
    data_start = bounds[4][1]  # the first storage's int64 element count
    for name, count in (("huge_count.pth", 2**40), ("overflow_count.pth", 2**62)):
        write(name, legacy[:data_start] + struct.pack("<q", count) + legacy[data_start + 8:])

    st = FakeStorage("0", 4)
    write("view_past_end.pth", hand_written([("w", FakeTensor(st, 2, (2, 2), (2, 1)))], {"0": [1, 2, 3, 4]}))
    one = FakeTensor(st, 0, (4,), (1,))
    write("repeated_view.pth", hand_written([(f"w{i}", one) for i in range(300)], {"0": [1, 2, 3, 4]}))
    write("wrong_magic.pth", pickle.dumps(MAGIC + 1, protocol=2) + legacy[bounds[0][1]:])
    write("plain_pickle.pth", pickle.dumps({"a": 1}, protocol=2))

    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote fixtures to {OUT} ({total} bytes in the folder)")


if __name__ == "__main__":
    main()
