"""The stand-in's config: HunyuanImage-3.0's config class name and the settings the worker passes.

Part of a stand-in for HunyuanImage-3.0's own modelling code (see hunyuan.py here), written for
wise's tests; none of Tencent's code. It is copied into a test's model folder, as the real
checkpoint carries its code, and loaded through trust_remote_code.
"""

from transformers import PretrainedConfig


class HunyuanImage3Config(PretrainedConfig):
    """Sizes of the stand-in and the load settings (moe_impl) the real config also holds."""

    model_type = "Hunyuan"

    def __init__(self, hidden_size=8, moe_impl="eager", preset_sizes=((32, 32), (48, 32), (32, 48)),
                 **kwargs):
        self.hidden_size = hidden_size
        self.moe_impl = moe_impl
        self.preset_sizes = [list(size) for size in preset_sizes]   # (height, width)
        super().__init__(**kwargs)
