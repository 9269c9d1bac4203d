"""Stand-in for BAGEL's modeling/bagel/bagel.py: BagelConfig and Bagel (latent geometry only)."""

import torch


class BagelConfig:
    def __init__(self, visual_gen=True, visual_und=True, llm_config=None, vit_config=None,
                 vae_config=None, latent_patch_size=2, max_latent_size=32,
                 vit_max_num_patch_per_side=70, connector_act="gelu_pytorch_tanh", **kwargs):
        self.llm_config, self.vit_config, self.vae_config = llm_config, vit_config, vae_config
        self.latent_patch_size, self.max_latent_size = latent_patch_size, max_latent_size


class Bagel(torch.nn.Module):
    def __init__(self, language_model, vit_model, config):
        super().__init__()
        self.config = config
        self.language_model = language_model
        self.vit_model = vit_model
        self.latent_downsample = config.vae_config.downsample * config.latent_patch_size
        self.max_latent_size = config.max_latent_size
        self.llm2vae = torch.nn.Linear(3, 3)
