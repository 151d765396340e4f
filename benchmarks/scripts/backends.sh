#!/bin/bash
# Sourced by the scripts here (not run): with D set to a scratch directory, picks three free ports (P1 P2 P3), starts one
# nginx process answering "ok" on them (NGPID), and writes the gateway's config for them ($D/gw.json, Weighted).
# haproxy_cfg PORT > FILE writes HAProxy's equivalent (round-robin, keep-alive reuse) listening on PORT.
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
haproxy_cfg() {
  printf "global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend fe\n  bind 127.0.0.1:$1\n  default_backend be\nbackend be\n  balance roundrobin\n  server b0 127.0.0.1:$P1\n  server b1 127.0.0.1:$P2\n  server b2 127.0.0.1:$P3\n"
}
# start_target LABEL=DLL[:ENV=V;ENV2=V] (a gateway build; inline scheduling unless the variables say otherwise) or
# LABEL=haproxy (or haproxy=x): starts it on a fresh port, waits until it answers, and sets TLABEL, TPID, TPORT. A
# gateway runs ${GWCONFIG:-$D/gw.json}, with SECTION_<LABEL> (JSON, when set) as its LbProxy section.
start_target() {
  local rest dll envs="" aport section="" config
  TLABEL=${1%%=*}; rest=${1#*=}; dll=${rest%%:*}; [[ "$rest" == *:* ]] && envs=${rest#*:}
  TPORT=$(free_port); aport=$(free_port)
  if [ "$dll" = haproxy ] || [ "$TLABEL" = haproxy ]; then
    haproxy_cfg $TPORT > $D/$TLABEL.cfg
    /usr/sbin/haproxy -db -f $D/$TLABEL.cfg > /dev/null 2>&1 & TPID=$!
  else
    [[ "$TLABEL" =~ ^[A-Za-z0-9_]+$ ]] && section=SECTION_$TLABEL && section=${!section:-}
    config=$D/$TLABEL.json
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); s=sys.argv[3]; c.update({"LbProxy": json.loads(s)} if s else {}); json.dump(c, open(sys.argv[2], "w"))' \
      ${GWCONFIG:-$D/gw.json} $config "$section"
    ( IFS=';'; for e in $envs; do export "$e"; done; export LBPROXY_INLINE_SCHEDULING=${LBPROXY_INLINE_SCHEDULING:-1}
      exec dotnet $dll --config $config --urls http://127.0.0.1:$TPORT --admin-urls http://127.0.0.1:$aport > $D/$TLABEL.log 2>&1 ) & TPID=$!
  fi
  for i in $(seq 1 150); do curl -sf -o /dev/null http://127.0.0.1:$TPORT/ && break; sleep 0.1; done
}
