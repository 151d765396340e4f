#!/bin/bash
# Where a proxy's CPU goes, per request: perf samples of the proxy process under wrk -t2 -c64, grouped by area
# (kernel, runtime, Kestrel, YARP, LbProxy's transport / upstream client / own request path, Polly, metrics, ...).
# us/request = samples x (1/frequency) / requests counted in the same seconds. Needs nginx, haproxy, wrk, perf, curl.
# usage: WARM=40 SECS=10 profile-areas.sh gateway [Gateway.dll]   |   profile-areas.sh haproxy
# Quiet machine only (shares, not absolute times, when the load average is above ~1).
set -u
WHAT=${1:-gateway}; DLL=${2:-Gateway/bin/Release/net10.0/linux-x64/Gateway.dll}
WARM=${WARM:-40}; SECS=${SECS:-10}; FREQ=999
D=$(mktemp -d /tmp/profile-areas.XXXXXX)
source "$(dirname "$0")/backends.sh" # P1 P2 P3, NGPID, $D/gw.json, free_port, haproxy_cfg
PORT=$(free_port); APORT=$(free_port)
if [ "$WHAT" = haproxy ]; then
  haproxy_cfg $PORT > $D/h.cfg
  /usr/sbin/haproxy -db -f $D/h.cfg > /dev/null 2>&1 & PID=$!
else
  # The perf map names JIT-compiled methods; W^X off so the map's addresses are the ones that run.
  (export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; exec dotnet $DLL --config $D/gw.json --urls http://127.0.0.1:$PORT --admin-urls http://127.0.0.1:$APORT > $D/gw.log 2>&1) & PID=$!
fi
for i in $(seq 1 150); do curl -sf -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.1; done
echo "warming up ${WARM}s, then ${SECS}s under perf ..." >&2
wrk -t2 -c64 -d${WARM}s http://127.0.0.1:$PORT/ > /dev/null
wrk -t2 -c64 -d$((SECS + 4))s http://127.0.0.1:$PORT/ > $D/wrk.txt & WRK=$!
sleep 2
perf record -F $FREQ -g -p $PID -o $D/perf.data -- sleep $SECS 2> /dev/null
wait $WRK
kill $PID; wait $PID 2> /dev/null; kill $NGPID; wait $NGPID 2> /dev/null
RPS=$(grep Requests/sec $D/wrk.txt | awk '{print $2}')
perf report -i $D/perf.data --no-children --sort dso,sym --stdio -g none --percent-limit 0 -F overhead,sample,dso,sym 2> /dev/null > $D/report.txt
python3 - "$D/report.txt" "$RPS" "$SECS" "$FREQ" "$WHAT" <<'PY'
import re, sys
from collections import Counter
path, rps, secs, freq, what = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
# JIT-compiled code is named "<return type> [Assembly] Declaring.Type::Method(...)" in the perf map: it goes by the
# declaring type's assembly and namespace, not by names in generic arguments or parameters.
def managed(dso, sym):
    m = re.search(r"\[([\w.]+)\] ([\w.`]+)", sym)
    if not m:
        return None
    asm, typ = m.group(1), m.group(2)
    if asm == "Gateway":
        return ("LbProxy transport (Gateway.Transport)" if typ.startswith("Gateway.Transport")
                else "lean upstream client (Gateway.Upstream)" if typ.startswith("Gateway.Upstream")
                else "LbProxy request path (Gateway.*: admission, policy, retries, breaker glue, stats, transforms)")
    if asm.startswith("Polly"):
        return "Polly (circuit breaker)"
    if asm.startswith("OpenTelemetry") or typ.startswith("System.Diagnostics.Metrics"):
        return "metrics (OpenTelemetry, System.Diagnostics.Metrics)"
    if asm.startswith("Microsoft.AspNetCore.Server.Kestrel"):
        return "Kestrel (HTTP/1.1 server)"
    if asm.startswith("Yarp"):
        return "YARP (forwarder, transforms, header copies)"
    if asm.startswith("Microsoft."):
        return "ASP.NET Core hosting, routing, authorization, HttpContext"
    if typ.startswith(("System.Runtime.CompilerServices", "System.Threading")):
        return "async machinery (tasks, state machines, thread pool, locks)"
    if asm in ("System.Net.Http", "System.Private.Uri"):
        return "System.Net.Http messages and headers, Uri"
    return "other BCL (collections, strings, memory, pipelines)"

native = [
    ("kernel: waking peers (spin unlock in wake-ups)", lambda d, s: "kernel" in d and "_raw_spin_unlock_irqrestore" in s),
    ("kernel: context switches", lambda d, s: "kernel" in d and "finish_task_switch" in s),
    ("kernel: TCP/IP, copies, syscalls, epoll, other", lambda d, s: "kernel" in d),
    ("runtime (libcoreclr: allocation, GC, casts)", lambda d, s: "libcoreclr" in d or "libclrgc" in d),
    ("JIT", lambda d, s: "libclrjit" in d),
    ("libc and vdso", lambda d, s: d.startswith("libc") or "vdso" in d or d.startswith("ld-")),
    ("syscall shims (libSystem.Native)", lambda d, s: "libSystem.Native" in d),
    ("haproxy's own code", lambda d, s: "haproxy" in d),
]
def area(dso, sym):
    for name, test in native:
        if test(dso, sym):
            return name
    return managed(dso, sym) or "stubs and unresolved code"

totals = Counter()
samples = 0
for line in open(path):
    m = re.match(r"\s*[\d.]+%\s+(\d+)\s+(.*?)\s+\[.\]\s+(.*)$", line)  # a dso may hold spaces ("[JIT] tid 123")
    if not m:
        continue
    n, dso, sym = int(m.group(1)), m.group(2), m.group(3)
    samples += n
    totals[area(dso, sym)] += n
requests = rps * secs
us = lambda n: n * 1e6 / freq / requests
print(f"{what}: {rps:.0f} requests/s under perf, {us(samples):.1f} us CPU per request ({samples} samples)\n")
print(f"| where | us/request | share |\n|---|---:|---:|")
for name, n in totals.most_common():  # the costliest first
    print(f"| {name} | {us(n):.1f} | {100 * n / samples:.1f}% |")
print(f"| **total** | **{us(samples):.1f}** | |")
PY
[ -n "${KEEP:-}" ] && echo "kept $D" >&2 || rm -rf $D
