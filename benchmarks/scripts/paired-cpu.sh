#!/bin/bash
# Paired CPU per request: several gateway builds (or one build with different environment variables, or haproxy)
# run AT THE SAME TIME, each under its own wrk -t2 -c64, after a common warm-up; each window measures every one over
# the same seconds, so the load of a shared machine falls on all of them alike. Prints CPU us/request per window and
# the median (min, max) of each one's ratio to the first. Needs nginx, wrk, perf, curl, python3.
# usage: WARM=60 paired-cpu.sh WINDOWS SECONDS label=Gateway.dll[:ENV=V;ENV2=V] ... [label=haproxy]
set -u
WINDOWS=$1; SECS=$2; shift 2
D=$(mktemp -d /tmp/paired-cpu.XXXXXX)
source "$(dirname "$0")/backends.sh" # P1 P2 P3, NGPID, $D/gw.json, free_port, haproxy_cfg, start_target
labels=(); pids=(); ports=()
for spec in "$@"; do start_target "$spec"; labels+=($TLABEL); pids+=($TPID); ports+=($TPORT); done
for port in "${ports[@]}"; do wrk -t2 -c64 -d${WARM:-20}s http://127.0.0.1:$port/ >/dev/null & done; wait_w() { for p in $(jobs -p); do [ "$p" != "$NGPID" ] && ! [[ " ${pids[*]} " == *" $p "* ]] && wait $p; done; }; wait_w
echo "window $(printf '%s ' "${labels[@]}")  (cpu us/request; rps)" | tee $D/rows
for w in $(seq 1 $WINDOWS); do
  # rotate the start order each window
  for i in "${!labels[@]}"; do
    perf stat -x, -e task-clock -p ${pids[$i]} -o $D/perf.$i -- wrk -t2 -c64 -d${SECS}s http://127.0.0.1:${ports[$i]}/ > $D/wrk.$i 2>&1 &
  done
  wait_w
  line="$w"
  for i in "${!labels[@]}"; do
    n=$(grep -oE '^ *[0-9]+ requests' $D/wrk.$i | awk '{print $1}'); tc=$(grep task-clock $D/perf.$i | cut -d, -f1)
    line="$line $(awk -v n=$n -v tc=$tc -v s=$SECS 'BEGIN{printf "%.1f;%.0f", tc*1000/n, n/s}')"
  done
  echo "$line" | tee -a $D/rows
done
for p in "${pids[@]}"; do kill $p; done; wait "${pids[@]}" 2>/dev/null
kill $NGPID; wait $NGPID 2>/dev/null
python3 - $D/rows "${labels[@]}" <<'PY'
import sys, statistics as st
rows=[l.split() for l in open(sys.argv[1]).read().split("\n")[1:] if l.strip()]
labels=sys.argv[2:]
cpu=[[float(r[i+1].split(";")[0]) for r in rows] for i in range(len(labels))]
rps=[[float(r[i+1].split(";")[1]) for r in rows] for i in range(len(labels))]
for i,l in enumerate(labels):
    ratios=[a/b for a,b in zip(cpu[i],cpu[0])]
    print("  %-14s cpu median %6.1f us/req  rps median %7.0f  cpu/%s median %.3f (min %.3f max %.3f)" % (l, st.median(cpu[i]), st.median(rps[i]), labels[0], st.median(ratios), min(ratios), max(ratios)))
PY
rm -rf $D
