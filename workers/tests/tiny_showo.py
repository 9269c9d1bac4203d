"""Builds a tiny random Show-o from a Show-o checkout's own classes, for the Show-o worker's tests.

    python workers/tests/tiny_showo.py CHECKOUT FOLDER

FOLDER gets ``phi/`` (a two-layer Phi config and a byte-level BPE tokenizer over a vocabulary of
our own: the 256 byte symbols and one end-of-text token), ``showo/`` (``Showo`` over that Phi, 4
image tokens: a 2x2 grid, 32x32 pixels), ``magvitv2/`` (``MAGVITv2``: its sizes are fixed in its
constructor, so it is the full-size decoder with random weights, decoding a 2x2 grid) and
``config.yaml`` (the layout of the repository's configs/showo_demo.yaml, pointing at them).
Everything is seeded: the same checkout builds the same model.
"""

from __future__ import annotations

import json
import os
import sys

CODEBOOK = 8192            # MAGVITv2's LFQuantizer: 13 bits, fixed in the repository
NEW_SPECIAL_TOKENS = 10    # [PAD] and the nine task tokens UniversalPrompting adds
IMAGE_TOKENS = 4
RESOLUTION = 32
MAX_SEQ_LENGTH = 16

CONFIG = """\
wandb:
  entity: null
experiment:
  name: "tiny-show-o"
model:
  vq_model:
    type: "magvitv2"
    vq_model_name: "{magvit}"
  showo:
    pretrained_model_path: "{showo}"
    w_clip_vit: False
    vocab_size: {vocab_size}
    llm_vocab_size: {llm_vocab_size}
    llm_model_path: "{phi}"
    codebook_size: {codebook}
    num_vq_tokens: {tokens}
    num_new_special_tokens: {new_special}
dataset:
  params:
    resolution: {resolution}
  preprocessing:
    max_seq_length: {max_seq_length}
    resolution: {resolution}
training:
  cond_dropout_prob: 0.1
  batch_size: 1
"""


def byte_vocabulary() -> dict:
    """GPT-2's byte-to-symbol table (every byte a printable character), as a vocabulary."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    symbols, extra = [], 0
    for byte in range(256):
        if byte in printable:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(256 + extra))
            extra += 1
    vocabulary = {symbol: index for index, symbol in enumerate(symbols)}
    vocabulary["<|endoftext|>"] = len(vocabulary)
    return vocabulary


def build(checkout: str, folder: str) -> None:
    sys.path.insert(0, checkout)
    import torch
    from transformers import GPT2Tokenizer, PhiConfig
    from models import MAGVITv2, Showo

    torch.manual_seed(0)
    phi = os.path.join(folder, "phi")
    os.makedirs(phi, exist_ok=True)
    vocabulary = byte_vocabulary()
    with open(os.path.join(phi, "vocab.json"), "w", encoding="utf-8") as handle:
        json.dump(vocabulary, handle)
    with open(os.path.join(phi, "merges.txt"), "w", encoding="utf-8") as handle:
        handle.write("#version: 0.2\n")
    tokenizer = GPT2Tokenizer(os.path.join(phi, "vocab.json"), os.path.join(phi, "merges.txt"),
                              unk_token="<|endoftext|>", bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    tokenizer.save_pretrained(phi)
    llm_vocab_size = len(tokenizer)
    vocab_size = llm_vocab_size + NEW_SPECIAL_TOKENS + CODEBOOK + 1   # + the mask token
    PhiConfig(vocab_size=llm_vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, max_position_embeddings=64, partial_rotary_factor=0.5).save_pretrained(phi)

    showo = Showo(w_clip_vit=False, vocab_size=vocab_size, llm_vocab_size=llm_vocab_size,
                  llm_model_path=phi, codebook_size=CODEBOOK, num_vq_tokens=IMAGE_TOKENS,
                  num_new_special_tokens=NEW_SPECIAL_TOKENS)
    with torch.no_grad():   # spread the logits so that sampling depends visibly on its inputs
        showo.showo.lm_head.weight.normal_(0.0, 0.3)
    showo.save_pretrained(os.path.join(folder, "showo"))
    MAGVITv2().save_pretrained(os.path.join(folder, "magvitv2"))
    with open(os.path.join(folder, "config.yaml"), "w", encoding="utf-8") as handle:
        handle.write(CONFIG.format(magvit=os.path.join(folder, "magvitv2"), showo=os.path.join(folder, "showo"),
                                   phi=phi, vocab_size=vocab_size, llm_vocab_size=llm_vocab_size,
                                   codebook=CODEBOOK, tokens=IMAGE_TOKENS, new_special=NEW_SPECIAL_TOKENS,
                                   resolution=RESOLUTION, max_seq_length=MAX_SEQ_LENGTH))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tiny_showo.py CHECKOUT FOLDER")
    build(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
