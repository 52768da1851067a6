#!/usr/bin/env python3
"""PyTorch baseline for `omega bench llm --torch FILE`: transformers' LlamaForCausalLM with the same
shapes in bf16 on the same card, decode step time at a given context, eager (dynamic cache) and with a
static KV cache under torch.compile(mode="reduce-overhead"). Weights are random (the values do not
change the time of a step). Writes {"<model>/b<batch>/<eager|compiled>": ms}."""
import argparse
import json
import statistics
import sys
import time
import traceback

import torch
from transformers import LlamaForCausalLM

from llama_config import PRESETS, llama_config


def sync_time():
    torch.cuda.synchronize()
    return time.perf_counter()


def eager_step_ms(model, batch, context, steps):
    from transformers import DynamicCache
    ids = torch.randint(3, 30000, (batch, context), device="cuda")
    with torch.no_grad():
        cache = DynamicCache()
        out = model(ids, past_key_values=cache, use_cache=True)
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        ts = []
        for s in range(steps + 3):
            t0 = sync_time()
            out = model(nxt, past_key_values=cache, use_cache=True)
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            t1 = sync_time()
            if s >= 3:
                ts.append((t1 - t0) * 1e3)
    return statistics.median(ts)


def compiled_step_ms(model, batch, context, steps):
    # The transformers recipe: static cache, forward compiled with CUDA graphs (reduce-overhead).
    model.generation_config.cache_implementation = "static"
    model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
    ids = torch.randint(3, 30000, (batch, context), device="cuda")
    mask = torch.ones_like(ids)
    kw = dict(do_sample=False, attention_mask=mask, pad_token_id=0, eos_token_id=None)

    def gen(n):
        t0 = sync_time()
        with torch.no_grad():
            model.generate(ids, max_new_tokens=n, min_new_tokens=n, **kw)
        return sync_time() - t0

    for _ in range(3):     # compile the prefill and decode graphs, then warm
        gen(steps + 8)
    short, long_ = [], []
    for _ in range(3):
        short.append(gen(8))
        long_.append(gen(steps + 8))
    return (statistics.median(long_) - statistics.median(short)) / steps * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="llama2-7b")
    ap.add_argument("--batches", default="1")
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    res = {"torch_version": torch.__version__, "device": torch.cuda.get_device_name(), "context": a.context}
    import transformers
    res["transformers_version"] = transformers.__version__
    for name in a.models.split(","):
        for b in [int(x) for x in a.batches.split(",")]:
            for impl in ("eager", "compiled"):
                torch.manual_seed(0)
                torch.set_default_dtype(torch.bfloat16)
                with torch.device("cuda"):
                    model = LlamaForCausalLM(llama_config(name))
                torch.set_default_dtype(torch.float32)
                model.eval()
                try:
                    fn = eager_step_ms if impl == "eager" else compiled_step_ms
                    t0 = time.time()
                    ms = fn(model, b, a.context, a.steps)
                    res["%s/b%d/%s" % (name, b, impl)] = ms
                    print("torch %s batch %d %s: %.3f ms/step (%.0f s)" % (name, b, impl, ms, time.time() - t0),
                          flush=True)
                except Exception as e:  # keep the other figures: report what failed and why
                    traceback.print_exc()
                    res["%s/b%d/%s_error" % (name, b, impl)] = repr(e)[:300]
                del model
                torch._dynamo.reset()
                torch.cuda.empty_cache()
                json.dump(res, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
