#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch reference for the next-word LSTM trained with the product's sampled softmax.

The model, corpus handling and command line are those of the full-softmax PyTorch reference
(torch-reference.py, kept beside the corpora): Embedding(V, E) -> LSTM(E, H) -> Linear(H, V),
Adam, every next word of every sentence a target once per epoch, batches of whole sentences
padded to the longest one, lower-cased regex tokens, every 10th sentence held out. With
`--sampled N`, each training step scores its targets the way the product's trainer does
(src/lm/engine/sampled-softmax.ts), so that the two compare like with like:

- one sample per step, shared by all targets of the batch: ids drawn with replacement from the
  training targets' unigram frequencies plus one, until N distinct ids are drawn;
- every logit lowered by log(1 - (1 - q)^draws), the id's expected presence in the sample;
- the target scored against the sampled ids, a sampled id equal to the row's own target left out;
- the output layer evaluated only on positions that have a target.

Validation, perplexity and prediction use the full softmax. Without `--sampled` it trains with
the full softmax, like the reference it follows.

Setup and run exactly like the full reference (Debian's python3-torch on OpenBLAS, one thread):
      LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=1 \
      /usr/bin/python3 bench/torch-sampled-reference.py CORPUS.txt --sampled 1024 [--vocab 5000] ...
Prints one JSON line with the same fields as the full reference, plus "sampled".
"""
import argparse, json, math, os, re, resource, statistics, sys, time
from collections import Counter

p = argparse.ArgumentParser()
p.add_argument("corpus"); p.add_argument("--vocab", type=int, default=5000)
p.add_argument("--emb", type=int, default=64); p.add_argument("--hidden", type=int, default=128)
p.add_argument("--batch", type=int, default=64); p.add_argument("--max-len", type=int, default=32)
p.add_argument("--epochs", type=int, default=1); p.add_argument("--threads", type=int, default=1)
p.add_argument("--lr", type=float, default=0.002); p.add_argument("--limit", type=int, default=0)
p.add_argument("--sampled", type=int, default=0, help="ids per sampled-softmax step (0: the full softmax)")
a = p.parse_args()

import torch, torch.nn as nn
torch.set_num_threads(a.threads); torch.manual_seed(0)

TOK = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9\u4e00-\u9fff]")
def tokens(line):
    return TOK.findall(line.lower())

lines = [l.strip() for l in open(a.corpus, encoding="utf-8") if l.strip()]
if a.limit: lines = lines[: a.limit]
sents = [tokens(l)[: a.max_len] for l in lines]
sents = [s for s in sents if len(s) >= 1]
test = sents[9::10]; train = [s for i, s in enumerate(sents) if i % 10 != 9]
counts = Counter(w for s in train for w in s)
PAD, UNK, BOS = 0, 1, 2
itos = ["<pad>", "<unk>", "<s>"] + [w for w, _ in counts.most_common(a.vocab - 3)]
stoi = {w: i for i, w in enumerate(itos)}; V = len(itos)
enc = lambda s: [stoi.get(w, UNK) for w in s]
if not 0 <= a.sampled < V: sys.exit(f"--sampled must be below the vocabulary ({V})")

def batches(data, shuffle):
    order = torch.randperm(len(data)).tolist() if shuffle else list(range(len(data)))
    for i in range(0, len(order), a.batch):
        chunk = [data[j] for j in order[i : i + a.batch]]
        L = max(len(s) for s in chunk)
        x = torch.zeros(len(chunk), L, dtype=torch.long); y = torch.zeros(len(chunk), L, dtype=torch.long)
        for r, s in enumerate(chunk):
            ids = enc(s); x[r, 0] = BOS; x[r, 1 : len(ids)] = torch.tensor(ids[:-1]); y[r, : len(ids)] = torch.tensor(ids)
        yield x, y

class LM(nn.Module):
    def __init__(self):
        super().__init__(); self.emb = nn.Embedding(V, a.emb); self.lstm = nn.LSTM(a.emb, a.hidden, batch_first=True); self.out = nn.Linear(a.hidden, V)
    def forward(self, x):
        h, _ = self.lstm(self.emb(x)); return self.out(h)
    def hidden(self, x):
        return self.lstm(self.emb(x))[0]

# The proposal: how often each id is a training target, plus one so that every id can be drawn.
target_counts = torch.ones(V, dtype=torch.float64)
for s in train:
    for i in enc(s): target_counts[i] += 1
proposal = target_counts / target_counts.sum()
log_miss = torch.log1p(-proposal)

def draw_candidates(size):
    """`size` distinct ids drawn with replacement from the proposal, and the draws it took."""
    seen, order, draws = set(), [], 0
    while len(order) < size:
        for i in torch.multinomial(proposal, 4 * size, replacement=True).tolist():
            draws += 1
            if i not in seen:
                seen.add(i); order.append(i)
                if len(order) == size: break
    log_expected = torch.log(-torch.expm1(draws * log_miss)).float()
    return torch.tensor(order), log_expected

def sampled_loss(model, x, y):
    mask = y != PAD
    h = model.hidden(x)[mask]; targets = y[mask]
    ids, log_expected = draw_candidates(a.sampled)
    weight, bias = model.out.weight, model.out.bias
    target_logit = (h * weight[targets]).sum(-1) + bias[targets] - log_expected[targets]
    sampled_logits = h @ weight[ids].t() + bias[ids] - log_expected[ids]
    sampled_logits = sampled_logits.masked_fill(ids.unsqueeze(0) == targets.unsqueeze(1), float("-inf"))
    logits = torch.cat([target_logit.unsqueeze(1), sampled_logits], 1)
    return nn.functional.cross_entropy(logits, torch.zeros(len(targets), dtype=torch.long))

model = LM(); opt = torch.optim.Adam(model.parameters(), lr=a.lr); crit = nn.CrossEntropyLoss(ignore_index=PAD)
n_train_tokens = sum(len(s) for s in train)
rates, losses = [], []
for ep in range(a.epochs):
    model.train(); t0 = time.perf_counter(); tot = 0.0; nb = 0
    for x, y in batches(train, True):
        opt.zero_grad()
        loss = sampled_loss(model, x, y) if a.sampled else crit(model(x).reshape(-1, V), y.reshape(-1))
        loss.backward(); opt.step(); tot += float(loss); nb += 1
    dt = time.perf_counter() - t0; rates.append(n_train_tokens / dt); losses.append(round(tot / nb, 4))

model.eval(); nll = 0.0; n = 0; top1 = 0; top5 = 0
with torch.no_grad():
    for x, y in batches(test, False):
        logits = model(x); lp = torch.log_softmax(logits, -1); mask = y != PAD
        nll += float(-lp.gather(-1, y.unsqueeze(-1)).squeeze(-1)[mask].sum()); n += int(mask.sum())
        t5 = lp.topk(5, -1).indices; hit = (t5 == y.unsqueeze(-1)) & (y.unsqueeze(-1) != UNK)
        top1 += int((hit[..., 0] & mask).sum()); top5 += int((hit.any(-1) & mask).sum())
    lat = []
    ctx = torch.tensor([[BOS] + enc(test[0])[:5]])
    for i in range(210):
        t0 = time.perf_counter(); pr = torch.softmax(model(ctx)[0, -1], -1); pr.topk(5).indices.tolist()
        if i >= 10: lat.append((time.perf_counter() - t0) * 1000)

def blas_in_use():
    # The BLAS library this process mapped: Debian's reference BLAS is about ten times slower than OpenBLAS.
    try:
        libs = {l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() and l.split()[-1].startswith("/")}
        return ",".join(sorted(os.path.basename(os.path.dirname(x)) + "/" + os.path.basename(x) for x in libs)) or "unknown"
    except OSError:
        return "unknown"
blas = blas_in_use()
if "openblas" not in blas:
    print(f"WARNING: BLAS in use is {blas}, not OpenBLAS: this reference is about ten times too slow to compare with", file=sys.stderr)
result = {"torch": torch.__version__, "blas": blas, "threads": a.threads, "vocab": V, "emb": a.emb, "hidden": a.hidden, "batch": a.batch,
    "train_sentences": len(train), "train_tokens": n_train_tokens, "tokens_per_s": [round(r, 1) for r in rates],
    "tokens_per_s_median": round(statistics.median(rates), 1), "train_loss": losses,
    "heldout_perplexity": round(math.exp(nll / n), 2), "heldout_top1": round(top1 / n, 4), "heldout_top5": round(top5 / n, 4),
    "predict_ms_p50": round(statistics.median(lat), 3), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
if a.sampled: result["sampled"] = a.sampled
print(json.dumps(result))
