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


def make_static_cache(model, batch, max_len):
    from transformers import StaticCache
    tries = [dict(config=model.config, max_cache_len=max_len),
             dict(config=model.config, max_batch_size=batch, max_cache_len=max_len, device="cuda",
                  dtype=torch.bfloat16)]
    last = None
    for kw in tries:
        try:
            return StaticCache(**kw)
        except TypeError as e:
            last = e
    raise last


def compiled_step_ms(model, batch, context, steps):
    # The transformers recipe for fast decoding: a static KV cache, the decode step compiled with
    # CUDA graphs (mode="reduce-overhead"), cudagraph_mark_step_begin() before each step.
    cache = make_static_cache(model, batch, context + 2 * steps + 16)
    ids = torch.randint(3, 30000, (batch, context), device="cuda")

    def step(tok, pos):
        return model(tok, past_key_values=cache, cache_position=pos, use_cache=True).logits

    compiled = torch.compile(step, mode="reduce-overhead", fullgraph=True)
    with torch.no_grad():
        out = model(ids, past_key_values=cache, cache_position=torch.arange(context, device="cuda"), use_cache=True)
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        pos = torch.tensor([context], device="cuda")
        ts = []
        for s in range(2 * steps):
            t0 = sync_time()
            torch.compiler.cudagraph_mark_step_begin()
            lg = compiled(nxt, pos)
            nxt = lg[:, -1].argmax(-1, keepdim=True)
            t1 = sync_time()
            pos = pos + 1
            if s >= steps:     # the first steps compile and record the graphs
                ts.append((t1 - t0) * 1e3)
    return statistics.median(ts)


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
