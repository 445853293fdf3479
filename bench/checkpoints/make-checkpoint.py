#!/usr/bin/python3
"""Writes a Self-Forcing-shaped checkpoint with torch.save (zip format) for the .pt reader bench.

{"generator_ema": {"model.<Wan2.1-1.3B key>": tensor}} with the shapes of docs/model-spec.md section 1.2:
matrices in bfloat16, biases, norms and modulations in float32 (about 2.8 GB). Random values, fixed seed.
Needs Debian's python3-torch: run with /usr/bin/python3.

With --all-three the file also holds "generator" and "critic" (same shapes, other values), as the real
self_forcing_dmd.pt does.

With --umt5-embedding it holds only umT5-XXL's token embedding, [256384, 4096] bfloat16 (2.1 GB in one storage).
With --views it holds a 3x4 float matrix, its transpose and its row 1, three views of one storage.

usage: make-checkpoint.py OUT.pt [--layers 30] [--all-three | --umt5-embedding | --views]
"""
import argparse

import torch

DIM, FFN, FREQ, TEXT, HEADS_OUT = 1536, 8960, 256, 4096, 64


def wan_shapes(layers):
    shapes = {
        "patch_embedding.weight": (DIM, 16, 1, 2, 2), "patch_embedding.bias": (DIM,),
        "text_embedding.0.weight": (DIM, TEXT), "text_embedding.0.bias": (DIM,),
        "text_embedding.2.weight": (DIM, DIM), "text_embedding.2.bias": (DIM,),
        "time_embedding.0.weight": (DIM, FREQ), "time_embedding.0.bias": (DIM,),
        "time_embedding.2.weight": (DIM, DIM), "time_embedding.2.bias": (DIM,),
        "time_projection.1.weight": (6 * DIM, DIM), "time_projection.1.bias": (6 * DIM,),
    }
    for b in range(layers):
        p = f"blocks.{b}."
        shapes[p + "modulation"] = (1, 6, DIM)
        for attn in ("self_attn", "cross_attn"):
            for proj in "qkvo":
                shapes[f"{p}{attn}.{proj}.weight"] = (DIM, DIM)
                shapes[f"{p}{attn}.{proj}.bias"] = (DIM,)
            shapes[f"{p}{attn}.norm_q.weight"] = (DIM,)
            shapes[f"{p}{attn}.norm_k.weight"] = (DIM,)
        shapes[p + "norm3.weight"] = (DIM,)
        shapes[p + "norm3.bias"] = (DIM,)
        shapes[p + "ffn.0.weight"] = (FFN, DIM)
        shapes[p + "ffn.0.bias"] = (FFN,)
        shapes[p + "ffn.2.weight"] = (DIM, FFN)
        shapes[p + "ffn.2.bias"] = (DIM,)
    shapes["head.modulation"] = (1, 2, DIM)
    shapes["head.head.weight"] = (HEADS_OUT, DIM)
    shapes["head.head.bias"] = (HEADS_OUT,)
    return shapes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=30)
    ap.add_argument("--all-three", action="store_true")
    ap.add_argument("--umt5-embedding", action="store_true")
    ap.add_argument("--views", action="store_true")
    args = ap.parse_args()
    if args.umt5_embedding:
        w = torch.empty(256384, 4096, dtype=torch.bfloat16).normal_(0, 0.02, generator=torch.Generator().manual_seed(12))
        torch.save({"token_embedding.weight": w}, args.out)
        print(f"{args.out}: one [256384, 4096] bfloat16 tensor, {w.numel() * 2 / 1e9:.2f} GB")
        return
    if args.views:
        m = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        torch.save({"generator_ema": {"whole": m, "transposed": m.t(), "row1": m[1]}}, args.out)
        print(f"{args.out}: three views of one storage; values sum to {(m.sum() * 2 + m[1].sum()).item()}")
        return
    gen = torch.Generator().manual_seed(12)
    names = ["generator", "critic", "generator_ema"] if args.all_three else ["generator_ema"]
    checkpoint = {}
    for sub in names:
        state = {}
        for name, shape in wan_shapes(args.layers).items():
            dtype = torch.bfloat16 if len(shape) >= 2 and shape[0] > 1 else torch.float32
            state["model." + name] = (torch.randn(shape, generator=gen) * 0.02).to(dtype)
        checkpoint[sub] = state
    torch.save(checkpoint, args.out)
    total = sum(t.numel() * t.element_size() for state in checkpoint.values() for t in state.values())
    print(f"{args.out}: {', '.join(names)}: {len(state)} tensors each, {total / 1e9:.2f} GB of tensor data")


if __name__ == "__main__":
    main()
