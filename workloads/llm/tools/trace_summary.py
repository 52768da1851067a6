#!/usr/bin/env python3
"""Summarise a persistent-step timeline written with OMEGA_LLM_TRACE=file (docs/llm.md).

Each line of the file is `block layer mark ns`; the marks are k_stream's stage boundaries (0-14) and
att_head's inner points (16-18). For each segment of a layer this prints the median over layers
(the first and last left out) of the blocks' mean and max, and for each grid barrier the time from
the last block's arrival to the first block's release. Usage: trace_summary.py FILE
"""
import statistics
import sys

SEGMENTS = [("qkv products", 0, 1), ("barrier 1 wait", 1, 2), ("attention", 2, 3),
            ("barrier 2 wait", 3, 4), ("attention input", 4, 5), ("wo products", 5, 6),
            ("barrier 3 wait", 6, 7), ("ffn norm", 7, 8), ("gate/up products", 8, 9),
            ("barrier 4 wait", 9, 10), ("SiLU input", 10, 11), ("w2 products", 11, 12),
            ("barrier 5 wait", 12, 13), ("next norm", 13, 14),
            ("att: query and new rows", 2, 16), ("att: scores, softmax", 16, 17),
            ("att: P.V", 17, 18), ("att: sums, merge", 18, 3)]
BARRIERS = [(1, 2), (3, 4), (6, 7), (9, 10), (12, 13)]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: trace_summary.py FILE")
    t = {}
    try:
        with open(sys.argv[1]) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                b, l, k, ns = (int(v) for v in line.split())
                t[(b, l, k)] = ns / 1000.0
    except (OSError, ValueError) as e:
        print("trace_summary: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(2)
    if not t:
        print("trace_summary: %s: no marks" % sys.argv[1], file=sys.stderr)
        sys.exit(2)
    blocks = sorted({b for b, _, _ in t})
    layers = sorted({l for _, l, _ in t})[1:-1] or sorted({l for _, l, _ in t})
    first = [t[(0, l, 0)] for l in sorted({l for _, l, _ in t}) if (0, l, 0) in t]
    if len(first) > 1:
        print("%d blocks, %d layers; a layer takes %.2f us (median, block 0)" %
              (len(blocks), len(layers) + 2, statistics.median(b - a for a, b in zip(first, first[1:]))))
    for name, a, b in SEGMENTS:
        means, maxes = [], []
        for l in layers:
            d = [t[(x, l, b)] - t[(x, l, a)] for x in blocks if (x, l, a) in t and (x, l, b) in t]
            if d:
                means.append(statistics.fmean(d))
                maxes.append(max(d))
        if means:
            print("%-24s mean %7.2f us  max %7.2f us" % (name, statistics.median(means), statistics.median(maxes)))
    for i, (arr, rel) in enumerate(BARRIERS, 1):
        lat = []
        for l in layers:
            a = [t[(x, l, arr)] for x in blocks if (x, l, arr) in t]
            r = [t[(x, l, rel)] for x in blocks if (x, l, rel) in t]
            if a and r:
                lat.append(min(r) - max(a))
        if lat:
            print("barrier %d: last arrival to first release %.2f us" % (i, statistics.median(lat)))


if __name__ == "__main__":
    main()
