"""Stand-in for BAGEL's modeling/qwen2: the tokenizer class only."""
import os


class Qwen2Tokenizer:
    special_tokens_map = {}

    @classmethod
    def from_pretrained(cls, path):
        if not os.path.isdir(path):
            raise OSError(f"no tokenizer in {path}")
        return cls()
