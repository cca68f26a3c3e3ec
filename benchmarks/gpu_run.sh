#!/usr/bin/env bash
# The GPU figures of benchmarks/README.md's Performance section in one call (issue 10): the benchmark at
# batch 64 and 32, the whole assignment timed per CUDA path, and the full task per precision
# and seed. Each stage has its own time limit, so one failure or hang leaves the others'
# figures; after every stage everything (logs, CSV rows, histories, no weights) is packed
# into $OUT/gpu_run.tar.gz and the summary copied to $OUT/summary.txt.
#
#   OUT=/tmp/out bash benchmarks/gpu_run.sh            # on the GPU machine
#   QUICK=1 OUT=/tmp/out bash benchmarks/gpu_run.sh    # the same stages as a CPU smoke test
# MNIST: data/MNIST/raw/*.gz in the checkout (gunzipped here), else the usual sources.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-results/gpu_run}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gpu_run.XXXXXX")"
QUICK="${QUICK:-0}"
PY="${PYTHON:-python3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$OUT"
summary="$WORK/summary.txt"

if [ -d data/MNIST/raw ]; then
    gunzip -kf data/MNIST/raw/*.gz 2>/dev/null
    export MNIST_ROOT="$PWD/data"
fi

if [ -x /usr/bin/time ]; then
    timed=(/usr/bin/time -v)
else  # GNU time is not on every image: wall time and peak memory from Python instead
    timed=("$PY" -c 'import resource, subprocess, sys, time
t = time.perf_counter(); rc = subprocess.call(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"\tElapsed (wall clock) time (s): {time.perf_counter() - t:.2f}\n\tUser time (seconds): "
      f"{r.ru_utime:.2f}\n\tMaximum resident set size (kbytes): {r.ru_maxrss}", file=sys.stderr)
sys.exit(rc)')
fi

pack() {
    cp "$summary" "$OUT/summary.txt"
    tar czf "$OUT/gpu_run.tar.gz" --exclude='*.pt' -C "$WORK" .
}

# stage NAME SECONDS COMMAND...: run it with a limit, log apart, tail and timing to the summary
stage() {
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*" >>"$summary"
    local started=$SECONDS
    timeout "$limit" "$@" >"$WORK/$name.log" 2>&1
    local rc=$?
    # the log's last lines, less progress bars and GNU time's all-zero fields
    grep -Ev '^\s*$|it/s\]|step/s\]|Average|page faults|context switches|Swaps|File system|Socket|Signals|Page size' \
        "$WORK/$name.log" | tail -n 30 >>"$summary"
    echo "== $name: exit $rc after $((SECONDS - started)) s" >>"$summary"
    pack
}

{
    date -u +%FT%TZ
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>&1
    "$PY" -c 'import platform, torch, torchvision
print("python", platform.python_version(), "torch", torch.__version__, "torchvision",
      torchvision.__version__, "cudnn", torch.backends.cudnn.version(),
      "gpu", torch.cuda.get_device_name() if torch.cuda.is_available() else "none")'
} >>"$summary" 2>&1

if [ "$QUICK" = 1 ]; then
    stage assign_plain 300 "${timed[@]}" "$PY" -m course_utils.assignment --quick \
        --device cpu --fast-path plain --out "$WORK/assign_plain"
    stage bench64 300 "$PY" benchmarks/train_speed.py --quick --variants plain,fast \
        --results "$WORK/bench.csv"
    stage full_task 300 "$PY" benchmarks/full_task.py --quick --paths plain --seeds 0,1 \
        --precisions fp32,bf16 --out "$WORK/full_task"
elif [ "${STAGES:-all}" = rerun ]; then  # the second call of issue 10: what the first missed
    stage tests_graphed 60 "$PY" -m pytest -o addopts= -q -p no:cacheprovider \
        tests/test_graphed_step.py
    stage profile32 120 "$PY" benchmarks/profile_step.py --device cuda --batch-size 32
    stage full_task_bf16_2 45 "$PY" benchmarks/full_task.py --device cuda --paths graphed \
        --precisions bf16 --seeds 2 --out "$WORK/full_task"
    stage assign_default 60 "${timed[@]}" "$PY" -m course_utils.assignment --device cuda \
        --out "$WORK/assign_default"
    stage tests_compiled 80 "$PY" -m pytest -o addopts= -q -p no:cacheprovider \
        tests/test_train_speed.py -k cuda
else
    stage tests_graphed 90 "$PY" -m pytest -o addopts= -q -p no:cacheprovider \
        tests/test_graphed_step.py
    stage assign_graphed 90 "${timed[@]}" "$PY" -m course_utils.assignment --device cuda \
        --fast-path graphed --out "$WORK/assign_graphed"
    stage bench64 150 "$PY" benchmarks/train_speed.py --device cuda --batch-size 64 \
        --steps 300 --rounds 5 --variants plain,graphed,graphed+bf16,compiled \
        --results "$WORK/bench.csv"
    stage full_task 120 "$PY" benchmarks/full_task.py --device cuda --paths graphed \
        --precisions fp32,bf16 --seeds 0,1,2 --out "$WORK/full_task"
    stage full_task_plain 60 "$PY" benchmarks/full_task.py --device cuda --paths plain \
        --precisions fp32 --seeds 0 --out "$WORK/full_task"
    stage bench32 120 "$PY" benchmarks/train_speed.py --device cuda --batch-size 32 \
        --steps 300 --rounds 5 --variants plain,graphed,graphed+bf16,compiled \
        --results "$WORK/bench.csv"
    stage assign_compiled 150 "${timed[@]}" "$PY" -m course_utils.assignment --device cuda \
        --fast-path compiled --out "$WORK/assign_compiled"
    stage full_task_plain12 90 "$PY" benchmarks/full_task.py --device cuda --paths plain \
        --precisions fp32 --seeds 1,2 --out "$WORK/full_task"
    stage tests_compiled 120 "$PY" -m pytest -o addopts= -q -p no:cacheprovider \
        tests/test_train_speed.py -k cuda
fi
echo "done $(date -u +%FT%TZ)" >>"$summary"
pack
cat "$summary"
