#!/usr/bin/env bash
# The collector benchmark in one command (not a test): publishes the collector as it is packaged
# (ReadyToRun), builds the replay client and runs it; the collector gets the packaged unit's
# DOTNET_* settings. Arguments go to fleet502-collector-bench, e.g.
#   scripts/collector-bench.sh --agents 1000 --rate 100000 --warmup 10 --seconds 30
# See benchmarks/README.md ("fleet502-collector-bench").
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== publish the collector (Release, linux-x64, ReadyToRun) and build the replay client" >&2
dotnet publish collector/Fleet502.Collector.csproj -c Release -r linux-x64 --self-contained false \
  -o artifacts/collector -nologo -clp:ErrorsOnly >&2
dotnet build benchmarks/Fleet502.CollectorBench -c Release -nologo -clp:ErrorsOnly >&2

# The replay client plays 1,000 agents on the same 2 cores as the collector: a 128 MiB gen0
# budget (hex) keeps its GC from taking CPU the collector would otherwise have, and so does
# keeping freed GC memory (no page faults to get it back), as the collector's unit does.
DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x8000000} DOTNET_GCRetainVM=${DOTNET_GCRetainVM:-1} \
  dotnet benchmarks/Fleet502.CollectorBench/bin/Release/net10.0/fleet502-collector-bench.dll \
  --collector artifacts/collector/fleet502-collector "$@"
