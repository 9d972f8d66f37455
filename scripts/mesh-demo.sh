#!/usr/bin/env bash
# The mesh on loopback: a federation CA, eight hospitals with synthetic data of different
# kinds, each started with `meshnode init` + `meshnode run`, joined through one seed.
# Shows `meshnode status` from one node once every member is alive and every catalogue
# verified, then stops all nodes with SIGTERM (they leave the mesh cleanly).
set -euo pipefail

MESHNODE=${1:?usage: mesh-demo.sh MESHNODE DIR}
DIR=${2:?usage: mesh-demo.sh MESHNODE DIR}
BASE_PORT=${BASE_PORT:-7400}
PROFILES=(general prostate breast paediatric lung general prostate paediatric)
NAMES=(amsterdam-umc milano-prostate paris-breast barcelona-children berlin-lung lisbon-general leuven-urology vienna-children)
N=${#NAMES[@]}
PIDS=()

stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

mkdir -p "$DIR"
"$MESHNODE" ca init --dir "$DIR/mesh-ca" >/dev/null
echo "== federation CA in $DIR/mesh-ca"
for i in $(seq 0 $((N - 1))); do
  name=${NAMES[$i]}
  port=$((BASE_PORT + i))
  "$MESHNODE" synth --profile "${PROFILES[$i]}" --subjects $((400 + 150 * i)) --seed $((i + 1)) --out "$DIR/$name.csv" >/dev/null
  "$MESHNODE" init --node-id "$name" --ca-dir "$DIR/mesh-ca" --listen "127.0.0.1:$port" \
    --seeds "127.0.0.1:$BASE_PORT" --csv "$DIR/$name.csv" --site-name "$name (${PROFILES[$i]})" --dir "$DIR/$name" | head -1
done

echo "== starting $N nodes (logs in $DIR/<node>.log)"
for i in $(seq 0 $((N - 1))); do
  name=${NAMES[$i]}
  "$MESHNODE" run --config "$DIR/$name/node.yaml" --log-level notice >"$DIR/$name.log" 2>&1 &
  PIDS+=($!)
done

start=$(date +%s%3N)
for attempt in $(seq 1 120); do
  sleep 0.25
  ready=0
  for name in "${NAMES[@]}"; do
    status=$("$MESHNODE" status --config "$DIR/$name/node.yaml" --format json --timeout 2 2>/dev/null || true)
    alive=$(printf '%s' "$status" | grep -c '"status" : "alive"' || true)
    catalogues=$(printf '%s' "$status" | grep -c '"version"' || true)
    if [ "$alive" -eq "$N" ] && [ "$catalogues" -eq "$N" ]; then ready=$((ready + 1)); fi
  done
  if [ "$ready" -eq "$N" ]; then break; fi
done
elapsed_ms=$(( $(date +%s%3N) - start ))
if [ "$ready" -ne "$N" ]; then
  echo "the mesh did not converge; see the logs in $DIR" >&2
  exit 1
fi
printf '== all %d nodes see %d alive members and %d verified catalogues after %d.%03d s\n\n' "$N" "$N" "$N" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
"$MESHNODE" status --config "$DIR/${NAMES[4]}/node.yaml"

echo
echo "== what ${NAMES[1]} would release on its own: persons by modality, MR and PET of prostate cancer"
"$MESHNODE" local-query --db "$DIR/${NAMES[1]}/site.sqlite" \
  "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases WHERE diagnosis = 'C61' AND modality IN ('MR', 'PT') GROUP BY modality"

echo
echo "== stopping all nodes with SIGTERM"
stop_all
trap - EXIT
grep -h "leaving the mesh" "$DIR"/*.log | head -3 || true
echo "stopped; node folders are in $DIR"
