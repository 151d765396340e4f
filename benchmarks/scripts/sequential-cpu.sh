#!/bin/bash
# Where a shared machine's CPU goes per request: each target (gateway builds, environment variables, or haproxy) is
# measured alone in turn under wrk -t2 -c64, in interleaved rounds, and for each the CPU per request of the proxy, of
# the nginx backends and of wrk itself, and the proxy's context switches per request (perf stat). On 2 cores the
# requests/s a proxy gets is set by the sum of the three, so a proxy can also cost its peers CPU.
# A target's config gets an LbProxy section from the variable SECTION_<label> when it is set (JSON).
# Needs nginx, wrk, perf, curl, python3. Quiet machine only.
# usage: [ROUNDS=3] [SECS=5] [WARM=15] sequential-cpu.sh label=Gateway.dll[:ENV=V;ENV2=V] ... [label=haproxy]
#   e.g. SECTION_nobreaker='{"Resilience":{"CircuitBreaker":{"Enabled":false}}}' sequential-cpu.sh on=$DLL nobreaker=$DLL
set -u
ROUNDS=${ROUNDS:-3}; SECS=${SECS:-5}
D=$(mktemp -d /tmp/sequential-cpu.XXXXXX)
source "$(dirname "$0")/backends.sh" # P1 P2 P3, NGPID, $D/gw.json, free_port, haproxy_cfg, start_target
labels=(); pids=(); ports=()
for spec in "$@"; do start_target "$spec"; labels+=($TLABEL); pids+=($TPID); ports+=($TPORT); done
for i in "${!labels[@]}"; do echo "warming ${labels[$i]} ${WARM:-15}s ..." >&2; wrk -t2 -c64 -d${WARM:-15}s http://127.0.0.1:${ports[$i]}/ > /dev/null; done
NGW=$(pgrep -P $NGPID | head -1) # the backends' worker process
printf "%-6s %-14s %9s %10s %8s %10s %8s\n" round target "req/s" "proxy us" "cs/req" "nginx us" "wrk us"
for r in $(seq 1 $ROUNDS); do
  for i in "${!labels[@]}"; do
    # wrk runs a second longer than the perf windows, which start once its connections are open.
    perf stat -x, -e task-clock -o $D/wrkcpu -- wrk -t2 -c64 -d$((SECS + 1))s http://127.0.0.1:${ports[$i]}/ > $D/wrk.txt 2>&1 & W=$!
    sleep 0.5
    perf stat -x, -e task-clock -p $NGW -o $D/ngcpu -- sleep $SECS & A=$!
    perf stat -x, -e task-clock,context-switches -p ${pids[$i]} -o $D/proxycpu -- sleep $SECS & B=$!
    wait $W $A $B
    n=$(grep -oE '^ *[0-9]+ requests' $D/wrk.txt | awk '{print $1}')
    awk -v r=$r -v l=${labels[$i]} -v n=$n -v s=$SECS -v ws=$((SECS + 1)) \
      -v p=$(grep task-clock $D/proxycpu | cut -d, -f1) -v cs=$(grep context-switches $D/proxycpu | cut -d, -f1) \
      -v ng=$(grep task-clock $D/ngcpu | cut -d, -f1) -v wk=$(grep task-clock $D/wrkcpu | cut -d, -f1) \
      'BEGIN { rps = n / ws; m = rps * s; printf "%-6s %-14s %9.0f %10.1f %8.2f %10.1f %8.1f\n", r, l, rps, p * 1000 / m, cs / m, ng * 1000 / m, wk * 1000 / n }'
  done
done
for p in "${pids[@]}"; do kill $p; done; wait "${pids[@]}" 2> /dev/null
kill $NGPID; wait $NGPID 2> /dev/null
rm -rf $D
