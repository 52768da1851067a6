#!/bin/bash
# One run on a GPU machine, all in one go: environment, the GPU tests, the PyTorch correctness check,
# the PyTorch baseline, and `omega bench llm`. Binaries and tools come prebuilt in $D: omega, omega-tests
# and the CUDA plugin libomega-cuda.so beside them (the binaries load it from their own folder), with
# their non-system shared libraries in $D/lib; logs and results go to $OUTDIR. Usage: gpu_run.sh [quick]
D=${D:-.dev-llm}
OUTDIR=${OUTDIR:-/tmp/llm-out}
MODE=${1:-full}
mkdir -p "$OUTDIR"
. "$(dirname "$0")/gpu_env.sh"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
    ldconfig -p | grep -E 'cbor|jansson|seccomp|hwloc|libssl|libcrypto|cublas' | head -20
    ls /usr/local/cuda/lib64/libcublas* 2>&1 | head -3
    python3 -c 'import torch, transformers, safetensors; print("torch", torch.__version__, "transformers", transformers.__version__, "safetensors", safetensors.__version__)'
    ldd $D/omega $D/libomega-cuda.so | grep -E 'not found|cublas|jansson|hwloc'
} >"$OUTDIR/env.txt" 2>&1
cat "$OUTDIR/env.txt"
T=$(mktemp -d)
echo "== tests"
timeout 240 $D/omega-tests -k llm 2>&1 | tee "$OUTDIR/tests.log" | tail -25
echo "== torch correctness"
P=1,45,99,38,263,124,186,29
for m in small tiny; do
    $D/omega --backend cuda --cc on infer --model $m --tokens $P --max-new 32 --export $T/$m.safetensors \
        --logits $T/$m.logits --json && \
    (cd $D/tools && python3 torch_compare.py --model $m --weights $T/$m.safetensors --logits $T/$m.logits \
        --tokens $P --out "$OUTDIR/compare_$m.json")
done 2>&1 | tee "$OUTDIR/compare.log" | grep -v Warning
[ "$MODE" = quick ] && exit 0
echo "== torch baseline"
(cd $D/tools && PYTHONUNBUFFERED=1 timeout 300 python3 torch_bench.py --models llama2-7b --batches 1 --context 128 \
    --steps 32 --out "$OUTDIR/torch.json") >"$OUTDIR/torch.log" 2>&1
grep -E 'ms/step|Error' "$OUTDIR/torch.log" | head
echo "== omega bench llm"
timeout 400 $D/omega --backend cuda bench llm --json --torch "$OUTDIR/torch.json" --run-id gpu-$(date -u +%Y%m%dT%H%M%SZ) \
    ${BENCH_ARGS:-} >"$OUTDIR/bench.json" 2>"$OUTDIR/bench.log"
echo "bench exit $?"
tail -30 "$OUTDIR/bench.log"
tar czf "$OUTDIR/results.tgz" results/llm 2>/dev/null
python3 - "$OUTDIR/bench.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["metrics"]:
    if m["name"] in ("decode_bw_fraction", "decode_vs_torch", "prefill_gemm_fraction", "cc_overhead_pct",
                     "density_shared", "density_per_agent", "density_ratio", "copy_bw_gbps", "gemm_bf16_tflops"):
        p = m["params"]
        print("%-22s %-12s %-5s b=%-3s %10.4g" % (m["name"], p.get("model", ""), p.get("dtype", ""), p.get("batch", ""), m["value"]))
PY
