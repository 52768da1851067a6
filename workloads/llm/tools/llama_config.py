"""The engine's model presets as transformers LlamaConfig objects (kept in step with workloads/llm/model.c)."""
PRESETS = {
    # name: (dim, layers, heads, kv_heads, hidden, vocab, max_seq)
    "llama2-7b": (4096, 32, 32, 32, 11008, 32000, 4096),
    "llama2-13b": (5120, 40, 40, 40, 13824, 32000, 4096),
    "llama2-70b": (8192, 80, 64, 8, 28672, 32000, 4096),
    "tiny": (128, 2, 4, 2, 352, 512, 256),
    "tiny-mha": (128, 2, 4, 4, 256, 300, 256),
    "small": (512, 4, 4, 2, 1376, 2048, 512),
}


def llama_config(name):
    from transformers import LlamaConfig
    dim, layers, heads, kv, hidden, vocab, max_seq = PRESETS[name]
    return LlamaConfig(vocab_size=vocab, hidden_size=dim, intermediate_size=hidden, num_hidden_layers=layers,
                       num_attention_heads=heads, num_key_value_heads=kv, max_position_embeddings=max_seq,
                       rms_norm_eps=1e-5, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                       bos_token_id=1, eos_token_id=2, pad_token_id=0)
