"""Tiny random causal language models (Llama, GPT-2) written to disk, for loading through the real loader."""

from __future__ import annotations

from pathlib import Path

CORPUS = (
    "When Mary and John went to the store, John gave a drink to Mary. The cat sat on the mat. "
    "A dog ran in the park and the cat saw it. 我爱学习编程。 Attention is all you need."
)


def tiny_tokenizer():
    """A byte-level BPE tokenizer trained on ``CORPUS`` (no special tokens added to inputs, like SmolLM2)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([CORPUS] * 4, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def write_tiny_decoder(path: Path, arch: str, seed: int = 0) -> Path:
    """Save a 2-layer random ``arch`` ("llama" with grouped key/value heads, or "gpt2") and its tokenizer."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    vocab = len(tokenizer)
    if arch == "llama":
        config = LlamaConfig(
            vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True,
        )
        model = LlamaForCausalLM(config)
    else:
        config = GPT2Config(
            vocab_size=vocab, n_embd=32, n_layer=2, n_head=4, n_positions=128, bos_token_id=0, eos_token_id=0
        )
        model = GPT2LMHeadModel(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path


def write_tiny_seq2seq(path: Path, arch: str, seed: int = 0) -> Path:
    """Save a random encoder–decoder ``arch`` ("bart", "t5" or "marian"), 2 encoder and 2 decoder layers of 4 heads
    (T5: 3 decoder layers, so a test sees encoder and decoder counted apart), and the byte-level tokenizer."""
    import torch
    from transformers import (BartConfig, BartForConditionalGeneration, MarianConfig, MarianMTModel, T5Config,
                              T5ForConditionalGeneration)

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    ids = {"pad_token_id": 0, "eos_token_id": 0, "bos_token_id": 0, "decoder_start_token_id": 0}
    vocab = len(tokenizer)
    if arch == "t5":
        model = T5ForConditionalGeneration(T5Config(
            vocab_size=vocab, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=3, num_heads=4, **ids))
    else:
        config_class, model_class = (BartConfig, BartForConditionalGeneration) if arch == "bart" else (
            MarianConfig, MarianMTModel)
        model = model_class(config_class(
            vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
            decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128, **ids))
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path
