"""PyTorch reference for `npm run bench` (experiments/bench/lstm.ts): the same next-token LSTM
(embedding, one LSTM layer, dense softmax), trained with Adam on count-weighted unique
(window, next) pairs and on raw windows, and scored on both, on one CPU thread.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 lstm_torch.py DATA.bin CONFIG.json

DATA.bin: int32 windows [unique, n], then int32 next [unique], then int32 counts [unique].
CONFIG.json: {"n", "vocab", "embedding", "hidden", "batch", "lr", "seed", "train_batches",
"score_batch", "score_windows", "raw_score_windows"}. Prints one JSON line of windows/s.
"""
import json
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)


class NextToken(torch.nn.Module):
    def __init__(self, vocab, embedding, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embedding)
        self.lstm = torch.nn.LSTM(embedding, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.out(h[:, -1])


def train_rate(model, opt, windows, nxt, weights, batch, batches, rng):
    """Windows per second over `batches` Adam steps on shuffled batches (weighted mean loss)."""
    order = rng.permutation(len(nxt))
    steps, done = 0, 0
    start = time.perf_counter()
    while steps < batches:
        for b in range(0, len(order), batch):
            idx = order[b:b + batch]
            logits = model(windows[idx])
            loss = torch.nn.functional.cross_entropy(logits, nxt[idx], reduction="none")
            w = weights[idx]
            loss = (loss * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            done += len(idx)
            if steps == batches:
                break
    return done / (time.perf_counter() - start)


@torch.no_grad()
def score_rate(model, windows, nxt, batch):
    """Windows per second computing P(next | window) for every row."""
    start = time.perf_counter()
    for b in range(0, len(nxt), batch):
        p = torch.softmax(model(windows[b:b + batch]), dim=1)
        p.gather(1, nxt[b:b + batch, None])
    return len(nxt) / (time.perf_counter() - start)


def main():
    data_path, config_path = sys.argv[1], sys.argv[2]
    cfg = json.load(open(config_path))
    n = cfg["n"]
    raw = np.fromfile(data_path, dtype=np.int32)
    unique = len(raw) // (n + 2)
    windows = torch.from_numpy(raw[: unique * n].reshape(unique, n).astype(np.int64))
    nxt = torch.from_numpy(raw[unique * n: unique * (n + 1)].astype(np.int64))
    counts = raw[unique * (n + 1):]
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    # Raw windows: each unique pair repeated by its count (the data before deduplication).
    raw_rows = torch.from_numpy(np.repeat(np.arange(unique), counts))
    raw_rows = raw_rows[torch.from_numpy(rng.permutation(len(raw_rows)))]

    def fresh():
        model = NextToken(cfg["vocab"], cfg["embedding"], cfg["hidden"])
        return model, torch.optim.Adam(model.parameters(), lr=cfg["lr"])

    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    model, opt = fresh()
    train_rate(model, opt, windows, nxt, torch.ones(unique), cfg["batch"], 3, rng)  # warm-up
    model, opt = fresh()
    out["train_unique"] = train_rate(model, opt, windows, nxt, torch.from_numpy(counts.astype(np.float32)), cfg["batch"], cfg["train_batches"], rng)
    model, opt = fresh()
    rw, rn = windows[raw_rows], nxt[raw_rows]
    out["train_raw"] = train_rate(model, opt, rw, rn, torch.ones(len(rn)), cfg["batch"], cfg["train_batches"], rng)
    model.eval()
    s = min(unique, cfg["score_windows"])
    out["score"] = score_rate(model, windows[:s], nxt[:s], cfg["score_batch"])
    s = min(len(rn), cfg["raw_score_windows"])
    out["score_raw"] = score_rate(model, rw[:s], rn[:s], cfg["score_batch"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
