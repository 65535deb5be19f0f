#!/usr/bin/env bash
# Measures the web console's API latency while a pipeline runs: N sequential requests per endpoint, one page's worth
# of polling at a time, and prints median, p95 and max in milliseconds.
# usage: benchmarks/console-latency.sh [URL=http://127.0.0.1:9000] [N=50]
set -euo pipefail
url=${1:-http://127.0.0.1:9000}
n=${2:-50}
endpoints=(
  "/"
  "/api/overview"
  "/api/topics"
  "/api/topics/input-user-events"
  "/api/topics/input-user-events/messages?limit=50"
  "/api/topics/output-user-events/messages?partition=0&start=offset&offset=0&limit=50"
  "/api/groups"
  "/api/groups/pipeline-dedup"
  "/api/dlq?limit=50"
)
printf '%-80s %8s %8s %8s\n' endpoint median_ms p95_ms max_ms
for path in "${endpoints[@]}"; do
  times=()
  for _ in $(seq "$n"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url$path")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v path="$path" '{ t[NR] = $1 * 1000 } END {
    printf "%-80s %8.1f %8.1f %8.1f\n", path, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)], t[NR] }'
done
