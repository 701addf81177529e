#!/usr/bin/env python3
"""The bench's training step, timed with PyTorch on this machine's CPU (issue #9's target
"faster than PyTorch on the CPU of the same machine").

The same model and step as `npm run bench` (src/engine/bench.ts BENCH_CONFIGS,
src/engine/gpu/bench-gpu.ts): embedding V×E, an L-layer LSTM of hidden size H (PyTorch's
nn.LSTM, gate order i f g o), a linear head H→V; B streams of T characters of seeded
random tokens over a vocabulary of 38 (notebook) or 75 (the others); mean cross-entropy,
backward through the T steps, global-norm clipping at 5, Adam (lr 0.005, β 0.9/0.999,
ε 1e-8). State is carried from window to window (detached) on the streams schedule and
zero on the windows schedule (notebook), as in the project. Parameters are initialised as
the project does (embedding N(0, 0.1), LSTM N(0, sqrt(1/(I+H))), head N(0, sqrt(1/H)),
biases 0 but the forget gate's b_ih 1) — speed does not depend on it, but nothing differs.

Prints figures in the bench's format (chars/s median and range, ms/step median and
quartiles, the first step) and, given `--versus name=chars/s,...` (char-lm's medians),
the ratio. Figures only, never a verdict.

    python3 tools/torch-step-bench.py                      # notebook and small, torch's default threads
    python3 tools/torch-step-bench.py --threads 2 --configs notebook,small,medium,large
"""
import argparse
import math
import os
import platform
import statistics
import sys
import time

CONFIGS = {
    # name: (B, T, E, H, L, V, schedule) — BENCH_CONFIGS in src/engine/bench.ts; V as gpuBenchCases gives it.
    "notebook": (1, 40, 32, 128, 1, 38, "windows"),
    "small": (32, 64, 32, 128, 1, 75, "streams"),
    "medium": (64, 128, 64, 256, 2, 75, "streams"),
    "large": (64, 128, 128, 512, 2, 75, "streams"),
}
# Timed steps per configuration (the GPU bench's counts: notebook 20, small 5, medium and large 20; fewer here for the big ones on a CPU).
STEPS = {"notebook": 20, "small": 5, "medium": 3, "large": 3}


def fmt(x):
    """Numbers as the bench prints them (formatNumber in src/engine/bench.ts): whole and thousands-separated from 10, else 2 significant digits."""
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 10:
        return f"{round(x):,}"
    return f"{float(f'{x:.2g}'):g}"


def quartiles(xs):
    s = sorted(xs)

    def at(q):
        i = q * (len(s) - 1)
        lo = math.floor(i)
        hi = math.ceil(i)
        return s[lo] + (s[hi] - s[lo]) * (i - lo)

    return at(0.25), at(0.5), at(0.75)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


def bench(torch, name, steps, warmup):
    nn = torch.nn
    B, T, E, H, L, V, schedule = CONFIGS[name]
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, V, (max(10_000, B * T * 4 + 1),), generator=g)

    t0 = time.perf_counter()
    torch.manual_seed(2)
    embed = nn.Embedding(V, E)
    lstm = nn.LSTM(E, H, num_layers=L, batch_first=False)
    head = nn.Linear(H, V)
    with torch.no_grad():
        embed.weight.normal_(0, 0.1)
        for k in range(L):
            i = E if k == 0 else H
            std = math.sqrt(1 / (i + H))
            getattr(lstm, f"weight_ih_l{k}").normal_(0, std)
            getattr(lstm, f"weight_hh_l{k}").normal_(0, std)
            getattr(lstm, f"bias_ih_l{k}").zero_()
            getattr(lstm, f"bias_hh_l{k}").zero_()
            getattr(lstm, f"bias_ih_l{k}")[H : 2 * H] = 1.0  # forget gate
        head.weight.normal_(0, math.sqrt(1 / H))
        head.bias.zero_()
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=0.005, betas=(0.9, 0.999), eps=1e-8)

    # B contiguous streams over the data (streams), or B random windows from zero state (windows).
    span = (len(data) - 1) // B
    cursor = [0]
    state = [None]

    def batch():
        if schedule == "streams":
            if cursor[0] + T > span:
                cursor[0] = 0
                state[0] = None
            starts = torch.arange(B) * span + cursor[0]
            cursor[0] += T
        else:
            starts = torch.randint(0, len(data) - T - 1, (B,), generator=g)
            state[0] = None
        idx = starts[None, :] + torch.arange(T)[:, None]  # [T, B]
        return data[idx], data[idx + 1]

    def step():
        x, y = batch()
        opt.zero_grad(set_to_none=True)
        out, (h, c) = lstm(embed(x), state[0])  # out [T, B, H]
        loss = nn.functional.cross_entropy(head(out).reshape(T * B, V), y.reshape(T * B))
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        if schedule == "streams":
            state[0] = (h.detach(), c.detach())
        return loss.item()  # waits for the step, as the bench reads its loss back

    step()
    first_ms = (time.perf_counter() - t0) * 1000
    for _ in range(max(0, warmup - 1)):
        step()
    times = []
    c0 = time.process_time()
    for _ in range(steps):
        s0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - s0) * 1000)
    cpu_ms = (time.process_time() - c0) * 1000 / steps
    chars = [B * T * 1000 / ms for ms in times]
    return {
        "shape": f"E{E} H{H} L{L} B{B} T{T} V{V}",
        "ms": quartiles(times),
        "chars": (statistics.median(chars), min(chars), max(chars)),
        "n": steps,
        "first_ms": first_ms,
        "cpu_ms": cpu_ms,
    }


def main(argv):
    p = argparse.ArgumentParser(description="PyTorch on the CPU: the bench's training step (issue #9).")
    p.add_argument("--configs", default="notebook,small", help="comma-separated: notebook, small, medium, large (default notebook,small)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: PyTorch's own choice)")
    p.add_argument("--steps", type=int, default=0, help="timed steps per configuration (default: notebook 20, small 5, medium/large 3)")
    p.add_argument("--versus", default="", help="char-lm's chars/s medians to compare with, e.g. small=12345,notebook=678")
    a = p.parse_args(argv)
    names = [n.strip() for n in a.configs.split(",") if n.strip()]
    bad = [n for n in names if n not in CONFIGS]
    if bad:
        print(f"torch-step-bench: unknown configuration {bad[0]}: use {', '.join(CONFIGS)}", file=sys.stderr)
        return 2
    versus = {}
    for item in filter(None, a.versus.split(",")):
        k, _, v = item.partition("=")
        try:
            versus[k.strip()] = float(v.replace("_", ""))
        except ValueError:
            print(f"torch-step-bench: --versus wants name=chars/s, got {item!r}", file=sys.stderr)
            return 2
    try:
        import torch
    except ImportError as e:
        print(f"torch-step-bench: PyTorch is not installed for {sys.executable} ({e}): pip install torch, then run this again", file=sys.stderr)
        return 3
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    threads = torch.get_num_threads()
    print(
        f"engine: PyTorch {torch.__version__} on the CPU, float32, {threads} thread{'s' if threads != 1 else ''} "
        f"({os.cpu_count()} × {cpu_name()}; load average {os.getloadavg()[0]:.1f} at the start)"
    )
    for name in names:
        r = bench(torch, name, a.steps or STEPS[name], 2)
        q1, med, q3 = r["ms"]
        cm, cmin, cmax = r["chars"]
        print(f"{name.ljust(8)} {r['shape']} — torch.nn.LSTM, cross-entropy, clip 5, Adam")
        print(f"  train    {fmt(cm)} chars/s median, {fmt(cmin)}–{fmt(cmax)} over {r['n']} steps; {fmt(med)} ms/step (quartiles {fmt(q1)}–{fmt(q3)})")
        print(f"  first    {fmt(r['first_ms'])} ms (model built, one step)")
        # CPU time (all threads) beside wall time: on a shared machine wall time includes waiting for a core.
        print(f"  cpu      {fmt(r['cpu_ms'])} ms of CPU time per step, all threads together (wall {fmt(med)} ms)")
        if name in versus and cm > 0:
            print(f"  versus   char-lm {fmt(versus[name])} chars/s → char-lm ×{versus[name] / cm:.2f} PyTorch on this CPU")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
