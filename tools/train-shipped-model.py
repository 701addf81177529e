#!/usr/bin/env python3
"""Trains the model char-lm ships (data/pride-and-prejudice.safetensors) in PyTorch.

The same model, data split, batching and optimiser as char-lm's own trainer (DESIGN.md
section 2): the vocabulary is the sorted set of code points of the text; the last 10% of
the text is held out for validation; B contiguous streams of T characters with the hidden
state carried between windows (the "streams" schedule, returning to the segment starts
each epoch); cross-entropy averaged over every position; global-norm gradient clipping;
Adam (0.9, 0.999, 1e-8) with lr_t = lr * decay^(t-1); the initialisation of the notebook.
It writes char-lm's model-only .safetensors (PyTorch tensor names, gate order i, f, g, o,
float32, metadata format=char-lm/1), which the page, the element and the CLI load, and
which `model.load_state_dict(safetensors.torch.load_file(path))` takes strictly.

It is for machines without a GPU: char-lm's own CLI trains the same model with
`--engine gpu` (tools/train-shipped-model.sh gpu). Needs only PyTorch (Debian:
`apt-get install python3-torch libopenblas0-pthread`; the OpenBLAS build makes it
about 4x faster than the reference BLAS). Seeded: on one machine and one thread
count, the same command writes the same file.

Usage: tools/train-shipped-model.sh pytorch   (or run this file with --help)
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The "novel" settings preset of src/run/settings.ts; src/model/shipped-model.test.ts
# checks that the shipped file and tools/train-shipped-model.sh say the same.
NOVEL = dict(embed=64, hidden=256, layers=2, batch=32, seq_len=64, lr=0.002, clip=5.0, lr_decay=0.9998, seed=42)


class CharLSTM(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)  # time-major, like char-lm's batches
        self.head = nn.Linear(hidden, vocab)
        # The notebook's initialisation (DESIGN.md): embed ~ N(0, 0.1), W ~ N(0, sqrt(1/(I+H))),
        # head ~ N(0, sqrt(1/H)), biases 0 except the forget-gate slice of b_ih = 1.
        with torch.no_grad():
            self.embed.weight.normal_(0.0, 0.1)
            for k in range(layers):
                inp = embed if k == 0 else hidden
                std = math.sqrt(1.0 / (inp + hidden))
                getattr(self.lstm, f"weight_ih_l{k}").normal_(0.0, std)
                getattr(self.lstm, f"weight_hh_l{k}").normal_(0.0, std)
                b_ih = getattr(self.lstm, f"bias_ih_l{k}")
                b_ih.zero_()
                b_ih[hidden : 2 * hidden] = 1.0
                getattr(self.lstm, f"bias_hh_l{k}").zero_()
            self.head.weight.normal_(0.0, math.sqrt(1.0 / hidden))
            self.head.bias.zero_()

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def split(ids: torch.Tensor, val_fraction=0.1, min_length=10000):
    """src/text/corpus.ts splitTrainVal: the last floor(n * 0.1) characters are validation."""
    n = ids.numel()
    val_len = math.floor(n * val_fraction)
    if n <= min_length or val_len < 1:
        return ids, None
    return ids[: n - val_len], ids[n - val_len :]


class Streams:
    """src/text/batcher.ts, schedule 'streams'."""

    def __init__(self, data: torch.Tensor, batch: int, seq_len: int):
        n = data.numel()
        if n - 1 < batch * seq_len:
            sys.exit(f"error: the text ({n} characters) is too short for {batch} streams of {seq_len}")
        self.data, self.B, self.T = data, batch, seq_len
        self.segment = (n - 1) // batch
        self.starts = torch.arange(batch) * self.segment
        self.offset = 0  # every stream is at starts + offset
        self.batches = 0
        self.epoch = 0

    def next(self):
        reset = self.batches == 0
        if self.offset + self.T > self.segment:
            self.offset = 0
            self.epoch += 1
            reset = True
        idx = self.starts[None, :] + self.offset + torch.arange(self.T)[:, None]  # (T, B)
        self.offset += self.T
        self.batches += 1
        return self.data[idx], self.data[idx + 1], reset


@torch.no_grad()
def mean_loss(model: CharLSTM, ids: torch.Tensor, chunk=4096) -> float:
    """Mean loss of predicting every character after the first, from zero state (the CLI's eval)."""
    total, state = 0.0, None
    for s in range(0, ids.numel() - 1, chunk):
        x = ids[s : min(s + chunk, ids.numel() - 1)]
        y = ids[s + 1 : s + 1 + x.numel()]
        logits, state = model(x[:, None], state)
        total += F.cross_entropy(logits[:, 0], y, reduction="sum").item()
    return total / (ids.numel() - 1)


def write_safetensors(path: str, model: CharLSTM, vocab, config, train, step: int, extra_meta):
    """char-lm's model-only checkpoint (src/model/checkpoint.ts encodeSafetensors)."""
    header, blobs, offset = {}, [], 0
    for name, t in model.state_dict().items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    meta = {
        "format": "char-lm/1",
        "vocab": json.dumps(vocab, ensure_ascii=False, separators=(",", ":")),
        "config": json.dumps(config, separators=(",", ":")),
        "step": str(step),
        "train": json.dumps(train, separators=(",", ":")),
    }
    meta.update(extra_meta)
    header["__metadata__"] = meta
    hb = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - (8 + len(hb)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="data/pride-and-prejudice.txt")
    p.add_argument("--out", default="data/pride-and-prejudice.safetensors")
    p.add_argument("--steps", type=int, required=True)
    for k in ("embed", "hidden", "layers", "batch", "seq_len", "seed"):
        p.add_argument("--" + k.replace("_", "-"), type=int, default=NOVEL[k])
    for k in ("lr", "clip", "lr_decay"):
        p.add_argument("--" + k.replace("_", "-"), type=float, default=NOVEL[k])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--val-every", type=int, default=500, help="validation loss every N steps (0: at the end only)")
    p.add_argument("--export-every", type=int, default=500, help="also write --out every N steps, so a stopped run leaves a model")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    with open(a.corpus, "rb") as f:
        text = f.read().decode("utf-8")  # strict: a file that is not UTF-8 stops here
    chars = sorted(set(text), key=ord)
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    train_ids, val_ids = split(ids)
    V = len(chars)
    model = CharLSTM(V, a.embed, a.hidden, a.layers)
    params = list(model.parameters())
    n_params = sum(t.numel() for t in params)
    opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    streams = Streams(train_ids, a.batch, a.seq_len)
    config = {"vocabSize": V, "embedSize": a.embed, "hiddenSize": a.hidden, "layers": a.layers}
    train = {"batch": a.batch, "seqLen": a.seq_len, "lr": a.lr, "clip": a.clip, "schedule": "streams", "seed": a.seed,
             "lrDecay": a.lr_decay, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    print(f"PyTorch {torch.__version__}, {a.threads} threads; {a.corpus}: {len(text):,} characters, V {V}; "
          f"train {train_ids.numel():,}, validation {0 if val_ids is None else val_ids.numel():,}; "
          f"E {a.embed} H {a.hidden} L {a.layers}: {n_params:,} parameters", flush=True)

    def export(step, seconds, val):
        extra = {"trainer": f"tools/train-shipped-model.py (PyTorch {torch.__version__}, {a.threads} threads)",
                 "train_seconds": f"{seconds:.0f}"}
        if val is not None:
            extra["validation_loss"] = f"{val:.6f}"
        write_safetensors(a.out, model, chars, config, train, step, extra)

    state, started, window = None, time.time(), []
    for step in range(1, a.steps + 1):
        x, y, reset = streams.next()
        if reset:
            state = None
        for g in opt.param_groups:
            g["lr"] = a.lr * a.lr_decay ** (step - 1)
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, a.clip)
        if not (math.isfinite(loss.item()) and math.isfinite(norm.item())):
            sys.exit(f"error: step {step}: the loss or gradient norm is not finite; lower --lr")
        opt.step()
        window.append(loss.item())
        if step % 50 == 0 or step == a.steps:
            el = time.time() - started
            print(f"step {step}/{a.steps} loss {sum(window) / len(window):.4f} (epoch {streams.epoch}) "
                  f"{step * a.batch * a.seq_len / el:,.0f} chars/s, {el / 60:.1f} min, "
                  f"~{el / step * (a.steps - step) / 60:.0f} min left", flush=True)
            window = []
        val = None  # the validation loss at this step, when one is measured
        if val_ids is not None and ((a.val_every and step % a.val_every == 0) or step == a.steps):
            val = mean_loss(model, val_ids)
            print(f"validation at step {step}: {val:.4f} nats/char = {val / math.log(2):.4f} bits/char", flush=True)
        if (a.export_every and step % a.export_every == 0) or step == a.steps:
            export(step, time.time() - started, val)
    el = time.time() - started
    train_loss = mean_loss(model, train_ids)
    print(f"done: {a.steps} steps in {el / 60:.1f} min; loss on the training text {train_loss:.4f} nats/char; "
          f"wrote {a.out} ({os.path.getsize(a.out):,} bytes)", flush=True)


if __name__ == "__main__":
    main()
