#!/usr/bin/env bash
# Verify the kit on a real GPU: grade the reference solutions on CUDA and run the GPU-marked tests.
# Run it from anywhere on a machine with an NVIDIA GPU and the kit's dependencies installed:
#   bash bench/gpu_check.sh
# It needs no network: the kit installs in place without build isolation or dependencies.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
echo "== machine"
nvidia-smi -L 2>&1 || echo "(no nvidia-smi)"
"$PY" -c "import torch; print('torch', torch.__version__, '| cuda available:', torch.cuda.is_available(), '| devices:', torch.cuda.device_count())"
echo "== install the kit"
"$PY" -m pip install --quiet --no-deps --no-build-isolation -e . || echo "(pip install failed; running from the source tree)"
echo "== grade all --submission solutions --device cuda --format json"
started=$(date +%s)
"$PY" -m grader.cli all --submission solutions --device cuda --format json > /tmp/gpu_check_grade.json
grade_exit=$?
echo "exit code $grade_exit, $(( $(date +%s) - started )) s"
"$PY" - /tmp/gpu_check_grade.json <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print(f"device {doc['device']}  score {doc['score']:g}/{doc['max_score']:g}")
for exercise in doc["exercises"]:
    print(f"  {exercise['exercise']:<22} {exercise['score']:g}/{exercise['max_score']:g}  {exercise['status']}")
    for check in exercise["checks"]:
        if check["status"] != "passed":
            print(f"    {check['name']}: {check['status']}: {check['message'].splitlines()[0] if check['message'] else ''}")
PYEOF
echo "== pytest -m gpu"
"$PY" -m pytest -m gpu -q -rs -p no:randomly -p no:cacheprovider
pytest_exit=$?
echo "== done: grade exit $grade_exit, pytest exit $pytest_exit"
[ "$grade_exit" -eq 0 ] && [ "$pytest_exit" -eq 0 ]
