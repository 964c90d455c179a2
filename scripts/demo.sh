#!/usr/bin/env bash
# The main job on one machine: the collector (embedded LiteDB) plus an agent, in front of a
# local nginx whose backend is down, so you watch a real 502 become an incident.
#   ./scripts/demo.sh            run, show the incident, keep running until Ctrl+C
#   ./scripts/demo.sh --once     show the incident and stop everything (what CI would do)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo="$root/.demo"
once=0
[ "${1:-}" = "--once" ] && once=1
[ -t 0 ] || once=1

./scripts/setup.sh
echo "== building"
dotnet build Fleet502.sln -c Release --no-restore -nologo -clp:ErrorsOnly >/dev/null

rm -rf "$demo" && mkdir -p "$demo/nginx" "$demo/agent-state" && chmod 755 "$demo" "$demo/nginx"
api_token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
agent_token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
grpc_port=${FLEET502_DEMO_GRPC_PORT:-7400}
http_port=${FLEET502_DEMO_HTTP_PORT:-7401}
nginx_port=${FLEET502_DEMO_NGINX_PORT:-8502}
dead_port=${FLEET502_DEMO_BACKEND_PORT:-3999}

cat >"$demo/collector.json" <<JSON
{
  "Listen": { "Grpc": "127.0.0.1:$grpc_port", "Http": "127.0.0.1:$http_port" },
  "Storage": { "Path": "$demo/fleet502.db" },
  "Auth": { "AgentTokens": ["$agent_token"], "ApiTokens": ["$api_token"] },
  "Webhooks": []
}
JSON
cat >"$demo/agent.json" <<JSON
{
  "AgentId": "demo-host",
  "StateDirectory": "$demo/agent-state",
  "Collector": { "Url": "http://127.0.0.1:$grpc_port", "Token": "$agent_token" },
  "Nginx": { "ErrorLogs": ["$demo/nginx/error.log"] }
}
JSON
user=""; [ "$(id -u)" -eq 0 ] && user="user root;"
cat >"$demo/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
error_log $demo/nginx/error.log error;
pid $demo/nginx/nginx.pid;
events { worker_connections 64; }
http {
  access_log $demo/nginx/access.log combined;
  client_body_temp_path $demo/nginx/body; proxy_temp_path $demo/nginx/proxy;
  fastcgi_temp_path $demo/nginx/fcgi; uwsgi_temp_path $demo/nginx/uwsgi; scgi_temp_path $demo/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    server_name shop.demo;
    # The backend that should listen here is down: nginx answers 502.
    location / { proxy_pass http://127.0.0.1:$dead_port; }
  }
}
CONF

pids=()
cleanup() {
  [ -f "$demo/nginx/nginx.pid" ] && kill "$(cat "$demo/nginx/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== starting the collector (gRPC 127.0.0.1:$grpc_port, REST 127.0.0.1:$http_port, LiteDB $demo/fleet502.db)"
dotnet collector/bin/Release/net10.0/fleet502-collector.dll --config "$demo/collector.json" >"$demo/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "Fleet502 collector listening" "$demo/collector.log" && break; sleep 0.1; done
grep "Fleet502 collector listening" "$demo/collector.log" || { cat "$demo/collector.log"; exit 1; }

echo "== starting nginx on 127.0.0.1:$nginx_port (proxy_pass to 127.0.0.1:$dead_port, where nothing listens)"
/usr/sbin/nginx -p "$demo/nginx" -c "$demo/nginx/nginx.conf" -e "$demo/nginx/error.log"

echo "== starting the agent"
dotnet agent/bin/Release/net10.0/fleet502-agent.dll --config "$demo/agent.json" >"$demo/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "Connected to the collector" "$demo/agent.log" && break; sleep 0.1; done

echo "== sending 5 requests through nginx"
for i in 1 2 3 4 5; do
  printf '  GET /cart/%s -> %s\n' "$i" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/cart/$i")"
done

echo "== asking the collector: GET /api/v1/incidents?status=open"
for _ in $(seq 1 100); do
  body=$(curl -s -H "Authorization: Bearer $api_token" "http://127.0.0.1:$http_port/api/v1/incidents?status=open")
  [ "$body" != "[]" ] && [ -n "$body" ] && break
  sleep 0.1
done
if command -v python3 >/dev/null 2>&1; then echo "$body" | python3 -m json.tool; else echo "$body"; fi

if [ "$once" -eq 1 ]; then exit 0; fi
cat <<TXT

The collector, agent and nginx keep running. Try:
  curl -s -H 'Authorization: Bearer $api_token' http://127.0.0.1:$http_port/api/v1/incidents
  curl http://127.0.0.1:$nginx_port/            (another 502; the incident's error_count grows)
Logs: $demo/*.log. Ctrl+C stops everything.
TXT
wait
