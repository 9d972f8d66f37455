#!/usr/bin/env bash
# The mesh on loopback: a federation CA, eight hospitals with synthetic data of different
# kinds, each started with `meshnode init` + `meshnode run`, joined through one seed.
# One of them (where Orthanc is installed) takes its data from an Orthanc DICOM server over
# DICOMweb. Shows `meshnode status` from one node once every member is alive and every catalogue
# verified; a researcher then asks the federation through three different nodes; one node
# crashes and the next result's coverage names it; all nodes stop with SIGTERM.
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
# One hospital's data comes from its DICOM server: an Orthanc with the DICOMweb plugin that the
# demo starts and fills with synthetic studies; the node imports them over QIDO-RS, joined
# with the clinical export through the mapping, and keeps syncing every 30 s.
ORTHANC_SITE=5
ORTHANC_HTTP_PORT=$((BASE_PORT + 100))
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
if python3 "$SCRIPTS/orthanc_site.py" available; then
  USE_ORTHANC=1
else
  USE_ORTHANC=0
  echo "== Orthanc with its DICOMweb plugin is not installed (Debian: orthanc, orthanc-dicomweb);" \
    "${NAMES[$ORTHANC_SITE]} imports a CSV instead"
fi
stop_orthanc() {
  if [ "$USE_ORTHANC" = 1 ]; then python3 "$SCRIPTS/orthanc_site.py" stop --dir "$DIR/orthanc" || true; fi
}
trap 'stop_all; stop_orthanc' EXIT

for i in $(seq 0 $((N - 1))); do
  name=${NAMES[$i]}
  port=$((BASE_PORT + i))
  if [ "$i" = "$ORTHANC_SITE" ] && [ "$USE_ORTHANC" = 1 ]; then
    site="$DIR/$name-export"
    mkdir -p "$site"
    "$MESHNODE" synth --profile "${PROFILES[$i]}" --subjects 500 --seed $((i + 1)) --dicom-dir "$site/dicom" \
      --clinical-out "$site/clinical.csv" --mapping-out "$site/mapping.yaml" --instances-per-study 1
    head -c 24 /dev/urandom | base64 >"$site/orthanc.password"
    url=$(python3 "$SCRIPTS/orthanc_site.py" start --dir "$DIR/orthanc" --http-port "$ORTHANC_HTTP_PORT" \
      --dicom-port $((ORTHANC_HTTP_PORT + 1)) --user oncomesh --password-file "$site/orthanc.password")
    echo "== Orthanc at $url for $name: $(python3 "$SCRIPTS/orthanc_site.py" upload --url "$url" --user oncomesh \
      --password-file "$site/orthanc.password" "$site/dicom")"
    "$MESHNODE" init --node-id "$name" --ca-dir "$DIR/mesh-ca" --listen "127.0.0.1:$port" \
      --seeds "127.0.0.1:$BASE_PORT" --site-name "$name (${PROFILES[$i]}, from Orthanc)" --dir "$DIR/$name" | head -1
    cat >>"$DIR/$name/node.yaml" <<YAML
sync:
  dicomweb: $url/dicom-web
  user: oncomesh
  password_file: ../$name-export/orthanc.password
  clinical: ../$name-export/clinical.csv
  mapping: ../$name-export/mapping.yaml
  interval_s: 30
YAML
    echo "== $name syncs from $url/dicom-web (QIDO-RS), joined with its clinical export:"
    "$MESHNODE" sync --config "$DIR/$name/node.yaml" --no-progress | sed 's/^/   /'
    continue
  fi
  "$MESHNODE" synth --profile "${PROFILES[$i]}" --subjects $((400 + 150 * i)) --seed $((i + 1)) --out "$DIR/$name.csv" >/dev/null
  "$MESHNODE" init --node-id "$name" --ca-dir "$DIR/mesh-ca" --listen "127.0.0.1:$port" \
    --seeds "127.0.0.1:$BASE_PORT" --csv "$DIR/$name.csv" --site-name "$name (${PROFILES[$i]})" --dir "$DIR/$name" | head -1
done
# One hospital grants each researcher a small privacy budget (rho 1 per 30 days); the others
# keep the default (20). A grouping by modality costs more than 1, so it refuses that query.
sed -i 's/^  privacy_budget: .*/  privacy_budget: 1/' "$DIR/${NAMES[7]}/node.yaml"
echo "== ${NAMES[7]} sets privacy_budget: 1 in its node.yaml"

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


"$MESHNODE" ca issue-researcher --dir "$DIR/mesh-ca" --id alice --out "$DIR/alice" | head -1
# `make console-demo`: alice's web console on the running mesh, until Ctrl-C stops both.
if [ "${KEEP_CONSOLE:-0}" = 1 ]; then
  echo "== alice's console: open http://127.0.0.1:${CONSOLE_PORT:-8080}/ in a browser; Ctrl-C stops it and the mesh"
  "$MESHNODE" console --node "127.0.0.1:$BASE_PORT" --identity "$DIR/alice" --ca "$DIR/alice/ca.crt" \
    --listen "127.0.0.1:${CONSOLE_PORT:-8080}" || true
  exit 0
fi
# Alice's web console on this mesh while the demo runs (`make console-demo` keeps it up).
CONSOLE_URL="http://127.0.0.1:$((BASE_PORT + 200))"
"$MESHNODE" console --node "127.0.0.1:$BASE_PORT" --identity "$DIR/alice" --ca "$DIR/alice/ca.crt" \
  --listen "127.0.0.1:$((BASE_PORT + 200))" >"$DIR/console.log" 2>&1 &
PIDS+=($!)
for attempt in $(seq 1 40); do
  providers=$(python3 -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))["providers"]))' \
    "$CONSOLE_URL/v1/catalogue" 2>/dev/null || echo 0)
  if [ "${providers:-0}" -gt 0 ]; then break; fi
  sleep 0.25
done
echo "== alice's web console is at $CONSOLE_URL/ (its API lists ${providers:-0} providers); open it while the demo runs"
ask() {
  local node=$1
  shift
  echo
  echo "== alice asks ${NAMES[$node]}: $*"
  # Exit status 2 is a partial result (a provider down or late), printed like a complete one.
  "$MESHNODE" query --node "127.0.0.1:$((BASE_PORT + node))" --identity "$DIR/alice" --ca "$DIR/alice/ca.crt" "$@" || {
    status=$?
    [ "$status" = 2 ] || exit "$status"
    echo "(exit status 2: a partial result)"
  }
}
ask 0 "SELECT COUNT(*), COUNT(DISTINCT subject) FROM cases GROUP BY diagnosis, modality"
ask 3 "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE diagnosis = 'C61'"
echo
echo "== the same question again, through another node and written differently: the same noisy answer"
ask 1 "SELECT HISTOGRAM(age_at_diagnosis, 0, 100, 10) FROM cases WHERE diagnosis IN ('C61') AND NOT diagnosis <> 'C61'"
ask 6 "SELECT COUNT(DISTINCT subject), AVG(slice_thickness_mm), STDDEV(slice_thickness_mm) FROM cases GROUP BY manufacturer"
ask 5 --format json "SELECT COUNT(DISTINCT subject) FROM cases WHERE modality IN ('MR', 'PT') AND age_at_diagnosis BETWEEN 50 AND 70 GROUP BY manufacturer"

echo
echo "== ${NAMES[2]} crashes (SIGKILL); the next query names it in its coverage"
kill -KILL "${PIDS[2]}"
wait "${PIDS[2]}" 2>/dev/null || true
ask 4 --timeout 5 "SELECT COUNT(DISTINCT subject) FROM cases GROUP BY sex"

echo
echo "== the audit log of ${NAMES[1]}"
"$MESHNODE" audit --config "$DIR/${NAMES[1]}/node.yaml"
"$MESHNODE" audit verify --config "$DIR/${NAMES[1]}/node.yaml"

echo
echo "== the privacy ledger of ${NAMES[7]}"
"$MESHNODE" budget --config "$DIR/${NAMES[7]}/node.yaml"

echo
echo "== stopping the other nodes with SIGTERM"
stop_all
stop_orthanc
trap - EXIT
grep -h "leaving the mesh" "$DIR"/*.log | head -3 || true
echo "stopped; node folders are in $DIR"
echo
echo "== the researcher's web console was at $CONSOLE_URL/ for this mesh; \`make console-demo\` keeps the mesh running with it on http://127.0.0.1:8080/;"
echo "   against running nodes: $MESHNODE console --node 127.0.0.1:$BASE_PORT --identity $DIR/alice --ca $DIR/alice/ca.crt"
