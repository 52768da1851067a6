# Sourced by gpu_run.sh and gpu_prof.sh: the libraries the prebuilt binaries in $D need. Their
# non-system shared libraries sit in $D/lib; cuBLAS is the toolkit's, else the copy that ships with
# PyTorch.
export LD_LIBRARY_PATH=$PWD/$D/lib:${LD_LIBRARY_PATH:-}
if ! ldconfig -p | grep -q libcublasLt.so.13 && [ ! -e /usr/local/cuda/lib64/libcublasLt.so.13 ]; then
    for d in $(python3 -c 'import nvidia, os; print(" ".join(os.path.join(p, "cu13/lib") for p in nvidia.__path__))' 2>/dev/null); do
        export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
    done
fi
