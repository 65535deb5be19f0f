#!/usr/bin/env bash
# The web console under load, each component its own process as in a cluster deployment: `pipeline broker`,
# `pipeline produce --rate RATE` into input-user-events, `pipeline dedup` (RocksDB) and `pipeline ingest` serving the
# query API and the console (-b, so the Kafka pages work). After a warm-up, benchmarks/console-latency.sh measures the
# console's API, and the input rate actually reached during that measurement is read from the broker's metrics
# (log end offsets of input-user-events before and after), beside the load average.
# usage: benchmarks/console-load.sh [RATE=100000] [N=20] [WARMUP_SECONDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-100000}
n=${2:-20}
warmup=${3:-20}
./pipeline --help >/dev/null # builds the CLI once, before anything is timed
cli=(dotnet "$PWD/artifacts/cli/pipeline.dll")
dir=$(mktemp -d /tmp/console-load.XXXXXX)
pids=()
# SIGTERM, not SIGINT: a non-interactive shell starts background jobs with SIGINT ignored.
cleanup() {
  # In reverse start order, each waited for: the clients stop while the broker still answers, the broker last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
input_end() { curl -s "http://127.0.0.1:$broker_metrics/metrics" | awk '/^broker_log_end_offset\{.*topic="input-user-events"/ { s += $NF } END { printf "%d\n", s }'; }

broker=$(free_port); broker_metrics=$(free_port); console=$(free_port)
"${cli[@]}" broker --data-dir "$dir/broker" --listen "127.0.0.1:$broker" --metrics-listen "127.0.0.1:$broker_metrics" -v quiet &
pids+=($!)
wait_port "$broker"
b=127.0.0.1:$broker
"${cli[@]}" topics create -b "$b" -t input-user-events -p 8
"${cli[@]}" topics create -b "$b" -t output-user-events -p 8
"${cli[@]}" topics create -b "$b" -t user-events-dlq -p 1
"${cli[@]}" dedup -b "$b" --state rocksdb --state-dir "$dir/state" --metrics-listen none -q &
pids+=($!)
"${cli[@]}" ingest -b "$b" --store "duckdb:$dir/analytics.duckdb" --query-listen "127.0.0.1:$console" --metrics-listen none -v quiet >/dev/null &
pids+=($!)
wait_port "$console"
"${cli[@]}" produce -b "$b" -t input-user-events --rate "$rate" --metrics-listen none -q &
pids+=($!)
sleep "$warmup"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_offset=$(input_end); start_ns=$(date +%s%N)
benchmarks/console-latency.sh "http://127.0.0.1:$console" "$n"
end_offset=$(input_end); end_ns=$(date +%s%N)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$start_offset" -v b="$end_offset" -v s="$start_ns" -v e="$end_ns" -v r="$rate" 'BEGIN {
  printf "input-user-events grew by %d records in %.1f s during the measurement: %.0f records/s (target %d)\n", b - a, (e - s) / 1e9, (b - a) / ((e - s) / 1e9), r }'
