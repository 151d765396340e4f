#!/bin/bash
# Context switches a request, thread by thread: one target (a gateway build, or haproxy) under wrk -t2 -c64 for 10 s after
# a warm-up, voluntary and involuntary switches of each of its threads from /proc over those seconds, divided by the
# requests, with the thread's CPU ticks. Tells whose switches a proxy pays for (its event loops, the thread pool, the
# JIT, the collector) and how its loops compare with HAProxy's threads. Needs nginx, wrk, curl, python3. Quiet machine only.
# usage: [WARM=25] thread-switches.sh label=Gateway.dll[:ENV=V;ENV2=V] | haproxy=x
set -u
D=$(mktemp -d /tmp/thread-switches.XXXXXX)
source "$(dirname "$0")/backends.sh" # P1 P2 P3, NGPID, $D/gw.json, free_port, haproxy_cfg, start_target
start_target "$1"
wrk -t2 -c64 -d${WARM:-25}s http://127.0.0.1:$TPORT/ > /dev/null
# one line a thread: tid, name, voluntary, involuntary, user+system ticks
snapshot() {
  for t in /proc/$TPID/task/*; do
    echo "$(basename $t) $(tr ' ' '_' < $t/comm) $(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' $t/status) $(awk '{print $14+$15}' $t/stat)"
  done 2>/dev/null
}
snapshot > $D/before
requests=$(wrk -t2 -c64 -d10s http://127.0.0.1:$TPORT/ | awk '/requests in/{print $1}')
snapshot > $D/after
kill $TPID; kill $NGPID; wait 2>/dev/null
python3 - $D/before $D/after $requests $TLABEL <<'PY'
import sys
before = {l.split()[0]: l.split() for l in open(sys.argv[1])}
after = {l.split()[0]: l.split() for l in open(sys.argv[2])}
requests, label = int(sys.argv[3]), sys.argv[4]
rows, vol, invol = [], 0, 0
for tid, a in after.items():
    b = before.get(tid, [tid, a[1], 0, 0, 0])
    v, n, ticks = int(a[2]) - int(b[2]), int(a[3]) - int(b[3]), int(a[4]) - int(b[4])
    vol, invol = vol + v, invol + n
    if v or n or ticks:
        rows.append((a[1], v / requests, n / requests, ticks))
print(f"{label}: {requests} requests in 10 s")
print(f"{'thread':<20} {'voluntary/req':>14} {'involuntary/req':>16} {'CPU ticks':>10}")
for name, v, n, ticks in sorted(rows, key=lambda r: -(r[1] + r[2])):
    print(f"{name:<20} {v:>14.4f} {n:>16.4f} {ticks:>10}")
print(f"{'all threads':<20} {vol / requests:>14.4f} {invol / requests:>16.4f}")
PY
rm -rf $D
