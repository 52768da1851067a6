#!/bin/bash
# Where a decode step's time goes, on a GPU machine: per-kernel totals from Nsight Systems (when the
# machine has it) for each kernel set, then plain step times. Binaries come prebuilt in $D as for
# gpu_run.sh. Usage: gpu_prof.sh [MODEL:DTYPE] [BATCHES]
D=${D:-.dev-llm}
OUTDIR=${OUTDIR:-/tmp/llm-prof}
M=${1:-llama2-7b:bf16}
B=${2:-1}
mkdir -p "$OUTDIR"
. "$(dirname "$0")/gpu_env.sh"
NSYS=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
echo "nsys: ${NSYS:-none}"
for K in ${KERNELS:-base fast}; do
    echo "== $K"
    OMEGA_LLM_KERNELS=$K $D/omega --backend cuda bench llm --models "$M" --batches "$B" --no-prefill --no-cc \
        --no-density --steps 30 --run-id prof-$K --json >"$OUTDIR/bench_$K.json" 2>"$OUTDIR/bench_$K.log"
    python3 - "$OUTDIR/bench_$K.json" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1]))["metrics"]:
    if m["name"] in ("decode_step_ms", "decode_bw_fraction", "copy_bw_gbps"):
        print("%-20s b=%-3s %10.4g" % (m["name"], m["params"].get("batch", ""), m["value"]))
PY
    if [ -n "$NSYS" ]; then
        OMEGA_LLM_KERNELS=$K timeout 200 "$NSYS" profile -q --cuda-graph-trace=node -t cuda -o "$OUTDIR/p_$K" -f true \
            $D/omega --backend cuda bench llm --models "$M" --batches "$B" --no-prefill --no-cc --no-density \
            --steps 30 --run-id prof-n-$K --json >/dev/null 2>&1
        "$NSYS" stats -q --report cuda_gpu_kern_sum --format csv -o "$OUTDIR/k_$K" "$OUTDIR/p_$K.nsys-rep" >/dev/null 2>&1
        python3 - "$OUTDIR/k_${K}_cuda_gpu_kern_sum.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
tot = sum(float(r["Total Time (ns)"]) for r in rows)
for r in rows[:14]:
    print("%6.2f%% %9.1f us/call %7s calls  %s" % (100 * float(r["Total Time (ns)"]) / tot, float(r["Avg (ns)"]) / 1e3,
          r["Instances"], r["Name"][:90]))
PY
    fi
done
