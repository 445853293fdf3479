#!/usr/bin/python3
"""Writes a Self-Forcing-shaped checkpoint with torch.save (zip format) for the .pt reader bench.

{"generator_ema": {"model.<Wan2.1-1.3B key>": tensor}} with the shapes of docs/model-spec.md section 1.2:
matrices in bfloat16, biases, norms and modulations in float32 (about 2.8 GB). Random values, fixed seed.
Needs Debian's python3-torch: run with /usr/bin/python3.

usage: make-checkpoint.py OUT.pt [--layers 30]
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
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(12)
    state = {}
    for name, shape in wan_shapes(args.layers).items():
        dtype = torch.bfloat16 if len(shape) >= 2 and shape[0] > 1 else torch.float32
        state["model." + name] = (torch.randn(shape, generator=gen) * 0.02).to(dtype)
    torch.save({"generator_ema": state}, args.out)
    total = sum(t.numel() * t.element_size() for t in state.values())
    print(f"{args.out}: {len(state)} tensors, {total / 1e9:.2f} GB of tensor data")


if __name__ == "__main__":
    main()
