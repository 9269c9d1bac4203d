#!/usr/bin/env python3
"""Converts a LAION aesthetic predictor checkpoint (`.pth`, an MLP over CLIP image
embeddings) to the safetensors file `AestheticHead` reads.

    python3 tools/convert_aesthetic_head.py sac+logos+ava1-l14-linearMSE.pth aesthetic-l14.safetensors

Keeps the linear layers' `layers.N.weight` / `layers.N.bias` tensors as float32; anything
else in the checkpoint (optimizer state, dropout) is dropped. Needs torch and safetensors.
"""
import sys

import torch
from safetensors.torch import save_file


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
    if "state_dict" in state:
        state = state["state_dict"]
    tensors = {k: v.float().contiguous() for k, v in state.items()
               if k.startswith("layers.") and k.endswith((".weight", ".bias"))}
    if not tensors:
        sys.exit(f"{sys.argv[1]}: no layers.N.weight tensors found")
    save_file(tensors, sys.argv[2])
    for name in sorted(tensors):
        print(name, tuple(tensors[name].shape))


if __name__ == "__main__":
    main()
