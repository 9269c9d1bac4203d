"""Stand-in for BAGEL's inferencer.py: InterleaveInferencer with the real call signatures."""

import json
import os
from typing import Optional

import torch
from PIL import Image


class InterleaveInferencer:
    def __init__(self, model, vae_model, tokenizer, vae_transform, vit_transform, new_token_ids):
        self.model = model
        self.vae_model = vae_model

    def interleave_inference(self, input_lists, think=False, understanding_output=False,
                             max_think_token_n=1000, do_sample=False, text_temperature=0.3,
                             cfg_text_scale=3.0, cfg_img_scale=1.5, cfg_interval=[0.4, 1.0],
                             timestep_shift=3.0, num_timesteps=50, cfg_renorm_min=0.0,
                             cfg_renorm_type="global", image_shapes=(1024, 1024),
                             enable_taylorseer=False):
        arguments = dict(locals())
        del arguments["self"]
        log = os.environ.get("WISE_TEST_BAGEL_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(arguments) + "\n")
        outputs = []
        if think:
            words = ["plan", "sky", "red", "tree", "light", "shadow", "water", "stone"]
            if do_sample:
                picks = torch.randint(len(words), (max(1, min(max_think_token_n, 6)),)).tolist()
            else:
                picks = list(range(max(1, min(max_think_token_n, 6))))
            outputs.append("<think>" + " ".join(words[i] for i in picks) + "</think>")
        height, width = image_shapes
        step = self.model.latent_downsample
        gain = float(self.model.llm2vae.weight.detach().float().abs().mean())
        noise = torch.rand(height // step, width // step, 3) * min(1.0, gain * 4) * cfg_text_scale / 4
        noise = noise.clamp(0, 1).repeat_interleave(step, 0).repeat_interleave(step, 1)
        outputs.append(Image.fromarray((noise * 255).to(torch.uint8).numpy()))
        return outputs

    def __call__(self, image: Optional[Image.Image] = None, text: Optional[str] = None, **kargs):
        output_dict = {"image": None, "text": None}
        outputs = self.interleave_inference([text], **kargs)
        for item in outputs:
            if isinstance(item, Image.Image):
                output_dict["image"] = item
            elif isinstance(item, str):
                output_dict["text"] = item
        return output_dict
