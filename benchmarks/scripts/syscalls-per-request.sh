#!/bin/bash
# System calls per request, by call (perf stat on the syscalls:sys_enter_* tracepoints), for gateway builds one after
# another (or haproxy), each under wrk -t2 -c64 after a warm-up. Needs nginx, wrk, perf (root), curl, python3.
# usage: [WARM=20] [SECS=4] syscalls-per-request.sh label=Gateway.dll[:ENV=V;ENV2=V] ... [haproxy=x]
set -u
D=$(mktemp -d /tmp/syscalls.XXXXXX)
source "$(dirname "$0")/backends.sh" # P1 P2 P3, NGPID, $D/gw.json, free_port, haproxy_cfg, start_target
EV=$(for s in read write recvfrom sendto recvmsg sendmsg epoll_wait epoll_ctl futex sched_yield writev readv ioctl mprotect madvise clock_gettime getpid gettid openat close; do printf "syscalls:sys_enter_%s," $s; done)raw_syscalls:sys_enter
for spec in "$@"; do
  start_target "$spec"; label=$TLABEL; port=$TPORT; GPID=$TPID
  wrk -t2 -c64 -d${WARM:-20}s http://127.0.0.1:$port/ >/dev/null
  perf stat -x, -e $EV -p $GPID -o $D/perf.txt -- wrk -t2 -c64 -d${SECS:-4}s http://127.0.0.1:$port/ > $D/wrk.txt 2>&1
  reqs=$(grep -oE '^ *[0-9]+ requests' $D/wrk.txt | awk '{print $1}')
  echo "== $label: $reqs requests"; awk -F, -v n=$reqs '$1+0>0 {printf "  %-40s %8.3f/req\n", $3, $1/n}' $D/perf.txt
  kill $GPID; wait $GPID 2>/dev/null
done
kill $NGPID; wait $NGPID 2>/dev/null; rm -rf $D
