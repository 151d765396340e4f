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
