"""Stand-in for BAGEL's modeling/autoencoder.py: load_ae returns a module and its parameters."""

from dataclasses import dataclass

import torch
from safetensors.torch import load_file


@dataclass
class AutoEncoderParams:
    downsample: int = 8
    z_channels: int = 16


class AutoEncoder(torch.nn.Module):
    def __init__(self, params):
        super().__init__()
        self.params = params
        self.gain = torch.nn.Parameter(torch.ones(1))


def load_ae(local_path):
    params = AutoEncoderParams()
    ae = AutoEncoder(params)
    ae.load_state_dict(load_file(local_path))
    return ae, params
