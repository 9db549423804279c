# PyTorch baseline for `bin/starling bench deep` row (2): the FedAvg CNN's local-training throughput.
# The same model as starling-djl's djl:cnn (two 5x5 'same' convolutions with 32 and 64 channels, ReLU, 2x2 max
# pooling after each, a 512-unit ReLU layer, 10 outputs), the same SGD step (lr 0.05) and one intra-op thread.
# Run by DeepBench as `python3 - N BATCH...` with this file on standard input; prints "BATCH SAMPLES_PER_SECOND"
# per batch size. Random inputs: throughput does not depend on the pixel values.
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(1)
n = int(sys.argv[1])
batches = [int(b) for b in sys.argv[2:]]


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, 10))


x = torch.rand(n, 1, 28, 28)
y = torch.randint(0, 10, (n,))
m = model()
params = sum(p.numel() for p in m.parameters())
assert params == 1663370, params
loss_fn = nn.CrossEntropyLoss()


def epoch(batch):
    opt = torch.optim.SGD(m.parameters(), lr=0.05)
    for i in range(0, n, batch):
        opt.zero_grad()
        loss_fn(m(x[i:i + batch]), y[i:i + batch]).backward()
        opt.step()


print("torch", torch.__version__, flush=True)
for b in batches:
    epoch(b)  # warm-up, as DeepBench does
    t0 = time.perf_counter()
    epoch(b)
    print(b, n / (time.perf_counter() - t0), flush=True)
