#!/usr/bin/env python3
"""Seeds for Fuzz/FuzzTargets.swift from the repository's own fixtures: each file gets the
selector byte of the target that reads it. Usage: Fuzz/seeds.py DIRECTORY (run from the root)."""
import glob
import os
import random
import struct
import sys
import zlib

SCRAPES, STUB, PROC, QUERY, CONFIG, TRACE, MODEL, TEXTS = range(8)
QUERIES = b'rate(http_requests_total{code=~"5.."}[1m])\nhistogram_quantile(0.99, rate(http_request_duration_seconds_bucket[1m]))\n'


def small(path, limit=16000):
    return os.path.isfile(path) and os.path.getsize(path) <= limit


def tiny_model(features, hidden, layers, version=2):
    """A model file in ModelFile's layout (magic, header, scaling, PyTorch-ordered weights, CRC-32)."""
    out = b"SURGEWM\0" + b"".join(struct.pack("<I", v) for v in
                                  [version, features, hidden, layers, 2, 3, 30] + ([10000] if version >= 2 else []) + [features])
    for index in range(features):
        name = f"f{index}".encode()
        out += struct.pack("<H", len(name)) + name + bytes([1]) + struct.pack("<ff", 0.5, 1.5)
    gates = 4 * hidden
    count = sum(gates * (features if k == 0 else hidden) + gates * hidden + 2 * gates for k in range(layers)) + 2 * hidden + 2
    rng = random.Random(features * 100 + hidden)
    out += struct.pack("<I", count) + b"".join(struct.pack("<f", rng.uniform(-1, 1)) for _ in range(count))
    return out + struct.pack("<I", zlib.crc32(out))


def main(directory):
    os.makedirs(directory, exist_ok=True)
    seeds = []
    for path in glob.glob("Tests/SurgeSamplingTests/Fixtures/linux-*/**/*", recursive=True) + \
            glob.glob("Tests/SurgeSourcesTests/Fixtures/cgroup-*/**/*", recursive=True):
        if small(path):
            seeds.append((PROC, open(path, "rb").read()))
    for path in glob.glob("Tests/SurgeSamplingTests/Fixtures/exposition/*"):
        body = open(path, "rb").read()
        if "stub_status" in path:
            seeds.append((STUB, body))
        else:
            body = body[:12000]
            seeds.append((SCRAPES, QUERIES + b"\0" + body + b"\1" + body))
    for path in glob.glob("Tests/SurgeConfigTests/Fixtures/**/*.toml", recursive=True) + glob.glob("config/*.toml"):
        seeds.append((CONFIG, open(path, "rb").read()))
    for path in glob.glob("Tests/SurgewatchTests/Fixtures/replay/*.csv"):
        if small(path):
            seeds.append((TRACE, open(path, "rb").read()))
    seeds.append((TRACE, b"timestamp,cpu_busy,load1\n2026-01-01T00:00:00Z,0.5,1\n2026-01-01T00:00:10+08:00,,2\n1767225620,0.7, 3 \n"))
    seeds += [(MODEL, tiny_model(2, 2, 1)), (MODEL, tiny_model(3, 2, 2, version=1))]
    for text in [b"10s", b"1m30s", b"500ms", b"2026-11-11T00:00:00+08:00", b"daily 20:00", b"p99_latency_s > 1",
                 b'ratio(rate(a{x="1"}), gauge(b)) * 100 or 0']:
        seeds += [(TEXTS, text), (QUERY, text)]
    for number, (target, body) in enumerate(seeds):
        with open(os.path.join(directory, f"seed-{number:03d}"), "wb") as out:
            out.write(bytes([target]) + body)
    print(f"{len(seeds)} seeds in {directory}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
