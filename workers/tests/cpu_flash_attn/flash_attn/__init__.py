"""A CPU stand-in for flash-attn's ``flash_attn_varlen_func``, for the tiny BAGEL test only.

flash-attn ships CUDA kernels alone; BAGEL imports it at module level and calls
``flash_attn_varlen_func`` on its inference path. This computes the same thing with PyTorch's
scaled_dot_product_attention, one packed sequence at a time: grouped key/value heads repeated,
and a causal mask aligned to the bottom right, as flash-attn 2.1 and later align it.
"""

import torch
import torch.nn.functional as F


def flash_attn_varlen_func(q, k, v, cu_seqlens_q, cu_seqlens_k, max_seqlen_q=None, max_seqlen_k=None,
                           dropout_p=0.0, softmax_scale=None, causal=False, **kwargs):
    outputs = []
    groups = q.shape[1] // k.shape[1]
    for index in range(len(cu_seqlens_q) - 1):
        qs = q[cu_seqlens_q[index]:cu_seqlens_q[index + 1]].transpose(0, 1)
        ks = k[cu_seqlens_k[index]:cu_seqlens_k[index + 1]].transpose(0, 1).repeat_interleave(groups, 0)
        vs = v[cu_seqlens_k[index]:cu_seqlens_k[index + 1]].transpose(0, 1).repeat_interleave(groups, 0)
        mask = None
        if causal:
            rows, columns = qs.shape[1], ks.shape[1]
            mask = torch.ones(rows, columns, dtype=torch.bool).tril(columns - rows)
        outputs.append(F.scaled_dot_product_attention(qs, ks, vs, attn_mask=mask, scale=softmax_scale)
                       .transpose(0, 1))
    return torch.cat(outputs, 0)
