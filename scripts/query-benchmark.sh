#!/usr/bin/env bash
# Federated query latency and throughput over 30 real `meshnode` processes on loopback
# (mutual TLS, LZ4 frames), each with its own synthetic site; every node allows plaintext
# partials so that the benchmark can compare the plaintext tree with secure aggregation.
# Runs Benchmarks' QueryBenchmark against the mesh once every node holds every catalogue, then stops the mesh.
#
# usage: scripts/query-benchmark.sh MESHNODE QUERYBENCHMARK DIR [NODES]
set -euo pipefail

MESHNODE=${1:?usage: query-benchmark.sh MESHNODE QUERYBENCHMARK DIR [NODES]}
BENCH=${2:?usage: query-benchmark.sh MESHNODE QUERYBENCHMARK DIR [NODES]}
DIR=${3:?usage: query-benchmark.sh MESHNODE QUERYBENCHMARK DIR [NODES]}
N=${4:-30}
BASE_PORT=${BASE_PORT:-7600}
PROFILES=(general prostate breast paediatric lung)
PIDS=()

stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

rm -rf "$DIR"
mkdir -p "$DIR"
"$MESHNODE" ca init --dir "$DIR/ca" >/dev/null
"$MESHNODE" ca issue-researcher --dir "$DIR/ca" --id bench --out "$DIR/researcher" >/dev/null
# The load phases ask as up to 50 different researchers, each with its own limits at an origin.
RESEARCHERS=()
for r in $(seq -w 1 50); do
  "$MESHNODE" ca issue-researcher --dir "$DIR/ca" --id "bench-$r" --out "$DIR/researchers/bench-$r" >/dev/null
  RESEARCHERS+=("$DIR/researchers/bench-$r")
done
ADDRESSES=()
STATUS=()
for i in $(seq 0 $((N - 1))); do
  name=$(printf 'site-%02d' "$i")
  port=$((BASE_PORT + i))
  "$MESHNODE" synth --profile "${PROFILES[$((i % 5))]}" --subjects $((300 + 20 * i)) --seed $((i + 1)) --out "$DIR/$name.csv" >/dev/null
  "$MESHNODE" init --node-id "$name" --ca-dir "$DIR/ca" --listen "127.0.0.1:$port" \
    --seeds "127.0.0.1:$BASE_PORT,127.0.0.1:$((BASE_PORT + 1)),127.0.0.1:$((BASE_PORT + 2))" \
    --csv "$DIR/$name.csv" --site-name "$name" --dir "$DIR/$name" >/dev/null
  # Thousands of queries from one researcher in minutes: budgets and rates would refuse
  # most of them, and they are not what this benchmark measures (the noise is on).
  sed -i -e 's/^  privacy_budget: .*/  privacy_budget: unlimited/' -e 's/^  max_queries_per_minute: .*/  max_queries_per_minute: 1000000/' \
    -e 's/^  max_queries_per_day: .*/  max_queries_per_day: 100000000/' \
    -e 's/^  plaintext_partials: .*/  plaintext_partials: allow/' "$DIR/$name/node.yaml"
  ADDRESSES+=("127.0.0.1:$port")
  STATUS+=("$DIR/$name/status.json")
done
echo "== starting $N nodes"
for i in $(seq 0 $((N - 1))); do
  name=$(printf 'site-%02d' "$i")
  "$MESHNODE" run --config "$DIR/$name/node.yaml" --log-level warning >"$DIR/$name.log" 2>&1 &
  PIDS+=($!)
done
for attempt in $(seq 1 240); do
  sleep 0.5
  ready=0
  for i in $(seq 0 $((N - 1))); do
    name=$(printf 'site-%02d' "$i")
    status=$("$MESHNODE" status --config "$DIR/$name/node.yaml" --format json --timeout 2 2>/dev/null || true)
    alive=$(printf '%s' "$status" | grep -c '"status" : "alive"' || true)
    catalogues=$(printf '%s' "$status" | grep -c '"version"' || true)
    if [ "$alive" -eq "$N" ] && [ "$catalogues" -eq "$N" ]; then ready=$((ready + 1)); fi
  done
  if [ "$ready" -eq "$N" ]; then break; fi
done
if [ "$ready" -ne "$N" ]; then
  echo "the mesh did not converge; see the logs in $DIR" >&2
  exit 1
fi
echo "== all $N nodes hold $N verified catalogues"
IFS=, eval 'LIST="${ADDRESSES[*]}"'
IFS=, eval 'STATUS_LIST="${STATUS[*]}"'
IFS=, eval 'PID_LIST="${PIDS[*]}"'
CONFIGS=()
for i in $(seq 0 $((N - 1))); do CONFIGS+=("$DIR/$(printf 'site-%02d' "$i")/node.yaml"); done
IFS=, eval 'CONFIG_LIST="${CONFIGS[*]}"'
IFS=, eval 'RESEARCHER_LIST="${RESEARCHERS[*]}"'
"$BENCH" --nodes "$LIST" --identity "$DIR/researcher" --ca "$DIR/researcher/ca.crt" --status-files "$STATUS_LIST" \
  --pids "$PID_LIST" --configs "$CONFIG_LIST" --meshnode "$MESHNODE" --load-identities "$RESEARCHER_LIST" "${@:5}"
