"""Stand-in for BAGEL's data/data_utils.py: add_special_tokens only."""


def add_special_tokens(tokenizer):
    new_token_ids = {"bos_token_id": 1, "eos_token_id": 2, "start_of_image": 3, "end_of_image": 4}
    return tokenizer, new_token_ids, 0
