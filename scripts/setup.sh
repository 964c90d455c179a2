#!/usr/bin/env bash
# Installs what Fleet502's demo and tests need, idempotently: Debian packages (nginx, php-fpm,
# supervisor, logrotate) and the NuGet packages of the solution. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/php-fpm8.2 ] || command -v php-fpm8.2 >/dev/null 2>&1 || need+=(php8.2-fpm)
command -v supervisord >/dev/null 2>&1 || need+=(supervisor)
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || need+=(logrotate)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The systemd notify test's launcher and the unit-file checks (systemd need not be PID 1).
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# pm2 (the pm2 supervisor tests start a real pm2 daemon) is an npm package: node and npm first.
command -v pm2 >/dev/null 2>&1 || command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v pm2 >/dev/null 2>&1 || command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # Tests start their own nginx, php-fpm and supervisord on loopback and temp dirs.
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v pm2 >/dev/null 2>&1; then
  echo "setup: installing pm2 (npm)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo npm install -g --silent pm2 >/dev/null
fi

if command -v dotnet >/dev/null 2>&1; then
  dotnet restore Fleet502.sln --verbosity quiet
else
  echo "setup: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi
