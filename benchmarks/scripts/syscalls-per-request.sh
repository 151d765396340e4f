#!/bin/bash
# System calls per request, by call (perf stat on the syscalls:sys_enter_* tracepoints), for gateway builds one after
# another (or haproxy), each under wrk -t2 -c64 after a warm-up. Needs nginx, wrk, perf (root), curl, python3.
# usage: [WARM=20] [SECS=4] syscalls-per-request.sh label=Gateway.dll[:ENV=V;ENV2=V] ... [haproxy=x]
set -u
D=$(mktemp -d /tmp/syscalls.XXXXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
P1=$(free_port); P2=$(free_port); P3=$(free_port)
cat > $D/backends.conf <<NG
worker_processes 1; pid $D/backends.pid; error_log $D/backends.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
 server { listen 127.0.0.1:$P1; location / { return 200 "ok\n"; } }
 server { listen 127.0.0.1:$P2; location / { return 200 "ok\n"; } }
 server { listen 127.0.0.1:$P3; location / { return 200 "ok\n"; } } }
NG
/usr/sbin/nginx -p $D -c $D/backends.conf -g "daemon off;" & NGPID=$!
cat > $D/gw.json <<JS
{"ReverseProxy":{"Routes":{"all":{"ClusterId":"c","Match":{"Path":"/{**all}"}}},"Clusters":{"c":{"LoadBalancingPolicy":"Weighted","Destinations":{"b0":{"Address":"http://127.0.0.1:$P1"},"b1":{"Address":"http://127.0.0.1:$P2"},"b2":{"Address":"http://127.0.0.1:$P3"}}}}}}
JS
EV=$(for s in read write recvfrom sendto recvmsg sendmsg epoll_wait epoll_ctl futex sched_yield writev readv ioctl mprotect madvise clock_gettime getpid gettid openat close; do printf "syscalls:sys_enter_%s," $s; done)raw_syscalls:sys_enter
for spec in "$@"; do
  label=${spec%%=*}; rest=${spec#*=}; dll=${rest%%:*}; envs=""; [[ "$rest" == *:* ]] && envs=${rest#*:}
  port=$(free_port); aport=$(free_port)
  if [ "$label" = haproxy ]; then
    printf "global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend fe\n  bind 127.0.0.1:$port\n  default_backend be\nbackend be\n  balance roundrobin\n  server b0 127.0.0.1:$P1\n  server b1 127.0.0.1:$P2\n  server b2 127.0.0.1:$P3\n" > $D/h.cfg
    /usr/sbin/haproxy -db -f $D/h.cfg >/dev/null 2>&1 & GPID=$!
  else
  ( IFS=';'; for e in $envs; do export "$e"; done; export LBPROXY_INLINE_SCHEDULING=${LBPROXY_INLINE_SCHEDULING:-1}; exec dotnet $dll --config $D/gw.json --urls http://127.0.0.1:$port --admin-urls http://127.0.0.1:$aport >$D/$label.log 2>&1 ) & GPID=$!
  fi
  for i in $(seq 1 100); do curl -sf -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.1; done
  wrk -t2 -c64 -d${WARM:-20}s http://127.0.0.1:$port/ >/dev/null
  perf stat -x, -e $EV -p $GPID -o $D/perf.txt -- wrk -t2 -c64 -d${SECS:-4}s http://127.0.0.1:$port/ > $D/wrk.txt 2>&1
  reqs=$(grep -oE '^ *[0-9]+ requests' $D/wrk.txt | awk '{print $1}')
  echo "== $label: $reqs requests"; awk -F, -v n=$reqs '$1+0>0 {printf "  %-40s %8.3f/req\n", $3, $1/n}' $D/perf.txt
  kill $GPID; wait $GPID 2>/dev/null
done
kill $NGPID; wait $NGPID 2>/dev/null; rm -rf $D
