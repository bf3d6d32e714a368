#!/usr/bin/env python3
"""falsify oracle: the Llama-2 forward pass in float64 (NumPy only).

Reads a model dumped by the harness (fk_model_dump_npy: DIR/config.txt and
one float32 .npy per tensor, already dequantized exactly as the harness
dequantizes it), runs the prompt, then greedy decoding, and writes

    tokens.npy  int64 (steps,)          the greedy tokens
    logits.npy  float64 (steps, vocab)  logits before each greedy choice
    gauge.npy   float64 (steps, vocab)  sum_j |Wcls_ij| |xn_j|: the error
                                        scale of each logit (DESIGN "Error
                                        metrics", gauge of the classifier)

With "acts q8_0" in config.txt (W4A8) every matmul input is rounded to
f32 and passed through the Q8_0 reference quantizer first, as the W4A8
plugins' prepare() does: the reference is the model as the kernels see it.

Row s of logits is the distribution token s is drawn from: row 0 follows
the prompt, row s > 0 follows feeding token s-1.  Everything is float64
from the dumped float32 weights; parameters the C kernels receive as f32
(eps, rope theta, attention scale) are rounded to f32 first, as they see
them.  Architecture (llama2.c run.c / llama.cpp "llama"): RMSNorm, RoPE on
adjacent pairs (x[2i], x[2i+1]) with angle pos * theta^(-2i/head_dim),
grouped-query attention (query head h reads KV head h // (heads/kv_heads)),
SwiGLU FFN silu(w1 x) * (w3 x), classifier.

Or reads a GGUF v3 llama file with its own reader (oracle/gguf.py, written
from the format description, independent of the harness's C reader and
writer): --gguf FILE [--acts q8_0].

Usage: forward.py (--model DIR | --gguf FILE) --prompt 5,17,3 --steps 32 --out DIR
       forward.py (--model DIR | --gguf FILE) --serve

--serve: the forward pass as a timed engine, driven line by line on stdin
(`falsify decode` judges AION's "NumPy oracle faster than the serial C
baseline" with it, paired token by token with a plugin configuration):
    prompt T1,T2,...   reset the cache, run the prompt    -> "TOKEN NS"
    step T             one decode token at the next position -> "TOKEN NS"
    quit
TOKEN is the greedy argmax, NS the nanoseconds of the forward pass and the
argmax (the error gauge is not computed), measured here with
time.perf_counter_ns so the pipe is not counted.  "ready" is printed once
the weights are loaded.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import formats  # noqa: E402


def load(d):
    cfg = {}
    with open(os.path.join(d, "config.txt")) as f:
        for line in f:
            k, v = line.split()
            cfg[k] = v
    c = {k: int(cfg[k]) for k in ("dim", "hidden", "n_layers", "n_heads", "n_kv_heads", "vocab", "seq_len")}
    c["rope_theta"] = float(np.float32(float(cfg["rope_theta"])))
    c["norm_eps"] = float(np.float32(float(cfg["norm_eps"])))
    c["acts"] = cfg.get("acts", "f32")

    def t(name):
        return np.load(os.path.join(d, name + ".npy")).astype(np.float64)

    w = {"tok_emb": t("tok_emb"), "final_norm": t("final_norm"), "cls": t("cls"), "layers": []}
    for l in range(c["n_layers"]):
        w["layers"].append({k: t("l%d_%s" % (l, k)) for k in
                            ("att_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w3", "w2")})
    return c, w


def load_gguf(path, acts):
    """A GGUF v3 llama file through the independent reader (gguf.py)."""
    import gguf
    meta, t = gguf.read(path)
    if meta.get("general.architecture") != "llama":
        sys.exit("forward.py: %s: architecture %r, not llama" % (path, meta.get("general.architecture")))
    c = {"dim": meta["llama.embedding_length"], "hidden": meta["llama.feed_forward_length"],
         "n_layers": meta["llama.block_count"], "n_heads": meta["llama.attention.head_count"],
         "n_kv_heads": meta.get("llama.attention.head_count_kv", meta["llama.attention.head_count"]),
         "vocab": t["token_embd.weight"].shape[0], "seq_len": meta.get("llama.context_length", 2048),
         "rope_theta": float(np.float32(meta.get("llama.rope.freq_base", 10000.0))),
         "norm_eps": float(np.float32(meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5))), "acts": acts}
    names = {"att_norm": "attn_norm", "wq": "attn_q", "wk": "attn_k", "wv": "attn_v", "wo": "attn_output",
             "ffn_norm": "ffn_norm", "w1": "ffn_gate", "w3": "ffn_up", "w2": "ffn_down"}
    w = {"tok_emb": t["token_embd.weight"], "final_norm": t["output_norm.weight"],
         "cls": t.get("output.weight", t["token_embd.weight"]),
         "layers": [{k: t["blk.%d.%s.weight" % (l, v)] for k, v in names.items()} for l in range(c["n_layers"])]}
    return c, w


def rmsnorm(x, g, eps):
    return x * g / np.sqrt(np.mean(x * x) + eps)


def rope(x, pos, theta):
    """x: (heads, hd); rotate adjacent pairs."""
    hd = x.shape[1]
    i = np.arange(hd // 2, dtype=np.float64)
    a = pos * theta ** (-2.0 * i / hd)
    c, s = np.cos(a), np.sin(a)
    y = np.empty_like(x)
    y[:, 0::2] = x[:, 0::2] * c - x[:, 1::2] * s
    y[:, 1::2] = x[:, 0::2] * s + x[:, 1::2] * c
    return y


class Model:
    def __init__(self, c, w):
        self.c, self.w = c, w
        # W4A8: every matmul input as the kernel sees it, rounded to f32 and
        # quantized to Q8_0 by ggml's reference quantizer (formats.py)
        if c["acts"] == "q8_0":
            self.mm = lambda W, x: W @ formats.as_seen(x.astype(np.float32), "q8_0")
        else:
            self.mm = lambda W, x: W @ x
        L, S = c["n_layers"], c["seq_len"]
        self.hd = c["dim"] // c["n_heads"]
        kvd = c["n_kv_heads"] * self.hd
        self.kc = np.zeros((L, S, kvd))
        self.vc = np.zeros((L, S, kvd))
        self.scale = float(np.float32(1.0 / np.sqrt(np.float32(self.hd))))
        self.pos = 0

    def forward(self, tok, gauge=True):
        c, w, hd = self.c, self.w, self.hd
        H, KV = c["n_heads"], c["n_kv_heads"]
        g = H // KV
        p = self.pos
        x = w["tok_emb"][tok].copy()
        for l, ly in enumerate(w["layers"]):
            xb = rmsnorm(x, ly["att_norm"], c["norm_eps"])
            q = rope(self.mm(ly["wq"], xb).reshape(H, hd), p, c["rope_theta"])
            k = rope(self.mm(ly["wk"], xb).reshape(KV, hd), p, c["rope_theta"])
            self.kc[l, p] = k.reshape(-1)
            self.vc[l, p] = self.mm(ly["wv"], xb)
            K = self.kc[l, :p + 1].reshape(p + 1, KV, hd)
            V = self.vc[l, :p + 1].reshape(p + 1, KV, hd)
            att = np.empty((H, hd))
            for h in range(H):
                s = K[:, h // g, :] @ q[h] * self.scale
                e = np.exp(s - s.max())
                att[h] = (e / e.sum()) @ V[:, h // g, :]
            x = x + self.mm(ly["wo"], att.reshape(-1))
            xb = rmsnorm(x, ly["ffn_norm"], c["norm_eps"])
            h1, h3 = self.mm(ly["w1"], xb), self.mm(ly["w3"], xb)
            x = x + self.mm(ly["w2"], h1 / (1.0 + np.exp(-h1)) * h3)
        self.pos += 1
        xn = rmsnorm(x, w["final_norm"], c["norm_eps"])
        return self.mm(w["cls"], xn), (np.abs(w["cls"]) @ np.abs(xn) if gauge else None)


def serve(m):
    """The line protocol of --serve (see the module docstring)."""
    import time
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        t0 = time.perf_counter_ns()
        if cmd[0] == "prompt":
            m.pos = 0
            for t in cmd[1].split(","):
                lg, _ = m.forward(int(t), gauge=False)
        elif cmd[0] == "step":
            if m.pos >= m.c["seq_len"]:
                sys.exit("forward.py: --serve: position %d beyond seq_len %d" % (m.pos, m.c["seq_len"]))
            lg, _ = m.forward(int(cmd[1]), gauge=False)
        else:
            sys.exit("forward.py: --serve: unknown command %r (prompt, step, quit)" % cmd[0])
        tok = int(np.argmax(lg))
        print("%d %d" % (tok, time.perf_counter_ns() - t0), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a model dumped by the harness (config.txt + .npy)")
    ap.add_argument("--gguf", help="a GGUF v3 llama file, read by oracle/gguf.py")
    ap.add_argument("--acts", default="f32", choices=("f32", "q8_0"), help="with --gguf: matmul inputs as W4A8 sees them")
    ap.add_argument("--prompt")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--out")
    ap.add_argument("--serve", action="store_true", help="timed engine on stdin/stdout (see above)")
    a = ap.parse_args()
    if bool(a.model) == bool(a.gguf):
        sys.exit("forward.py: give one of --model DIR or --gguf FILE")
    if not a.serve and (a.prompt is None or a.steps is None or a.out is None):
        sys.exit("forward.py: --prompt, --steps and --out are required (or --serve)")
    c, w = load(a.model) if a.model else load_gguf(a.gguf, a.acts)
    if a.serve:
        serve(Model(c, w))
        return
    prompt = [int(t) for t in a.prompt.split(",") if t]
    if not prompt or a.steps < 1 or len(prompt) + a.steps > c["seq_len"] + 1:
        sys.exit("forward.py: prompt of %d and %d steps do not fit seq_len %d" % (len(prompt), a.steps, c["seq_len"]))
    m = Model(c, w)
    for t in prompt[:-1]:
        m.forward(t)
    tok = prompt[-1]
    toks, logits, gauges = [], [], []
    for _ in range(a.steps):
        lg, ga = m.forward(tok)
        logits.append(lg)
        gauges.append(ga)
        tok = int(np.argmax(lg))
        toks.append(tok)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "tokens.npy"), np.array(toks, dtype=np.int64))
    np.save(os.path.join(a.out, "logits.npy"), np.array(logits, dtype=np.float64))
    np.save(os.path.join(a.out, "gauge.npy"), np.array(gauges, dtype=np.float64))


if __name__ == "__main__":
    main()
