#!/usr/bin/env bash
# The one test command (README.md): install the real peers the tests need when they are missing,
# then run the whole suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages whose programs the tests start for real (command -> package).
# k8s/ checks (Gateway.Tests/K8s): kubectl kustomize, promtool, node + npm for the offline schema validator.
# Operations view (Gateway.Tests/Admin, Ops): chromium for the status page, prometheus, locust.
# TLS (Gateway.Tests/Tls): curl and openssl s_client as the real clients.
declare -A needs=([nginx]=nginx-light [kubectl]=kubernetes-client [promtool]=prometheus [prometheus]=prometheus [node]=nodejs [npm]=npm
  [chromium]=chromium [locust]=python3-locust [curl]=curl [openssl]=openssl)
missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test peers: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The schema packages of k8s/validate (pinned by its package-lock.json), installed beside it.
if [ ! -d k8s/validate/node_modules/kubernetes-models ]; then
  echo "installing k8s/validate's npm packages"
  npm ci --prefix k8s/validate --no-audit --no-fund >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build LbProxy.sln -c Release
set +e
# Two runs: the timing-sensitive fault scenarios (200 req/s through real processes on 2 cores) and the 60 s soak
# (Gateway.Tests/Soak) get the machine to themselves, after everything else.
dotnet test LbProxy.sln -c Release --no-build --logger "console;verbosity=normal" \
  --filter "FullyQualifiedName!~Gateway.Tests.Resilience.WorkerFaultTests&FullyQualifiedName!~Gateway.Tests.Resilience.BackendFaultTests&FullyQualifiedName!~Gateway.Tests.Soak" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
dotnet test LbProxy.sln -c Release --no-build --logger "console;verbosity=normal" \
  --filter "FullyQualifiedName~Gateway.Tests.Resilience.WorkerFaultTests|FullyQualifiedName~Gateway.Tests.Resilience.BackendFaultTests|FullyQualifiedName~Gateway.Tests.Soak" 2>&1 | tee -a "$log"
rc2=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && rc=$rc2
set -e
# Failed tests again at the end, each with the start of its message, so a CI log that keeps only its tail
# still says which test failed and why.
awk '/^ +Failed [A-Za-z_][A-Za-z0-9_.]+/ {show = 25; print "FAILED:"} show > 0 {print; show--}' "$log"
# The plain closing line CI reads: "N passed, N failed" summed over the test run summaries.
awk '/^ +Passed: +[0-9]+$/ {p += $2} /^ +Failed: +[0-9]+$/ {f += $2} END {printf "%d passed, %d failed\n", p, f}' "$log"
exit "$rc"
