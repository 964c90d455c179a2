#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks that the agent publishes with
# NativeAOT without a single warning, runs every test project, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/artifacts/test-results"

./scripts/setup.sh || exit 1

echo "== build"
dotnet build Fleet502.sln -c Release --no-restore -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

echo "== NativeAOT publish of the agent (any warning fails)"
aot_log="$root/artifacts/aot-publish.log"
mkdir -p "$root/artifacts"
if ! dotnet publish agent/Fleet502.Agent.csproj -c Release -r linux-x64 -o "$root/artifacts/agent-aot" -nologo >"$aot_log" 2>&1; then
  cat "$aot_log"; echo "AOT publish failed"; aot_failed=1
elif grep -E "warning (IL|CS)[0-9]+" "$aot_log"; then
  echo "AOT publish printed warnings (above)"; aot_failed=1
else
  aot_failed=0
  echo "agent AOT binary: $(du -h "$root/artifacts/agent-aot/fleet502-agent" | cut -f1)"
fi

echo "== tests"
rm -rf "$results"
dotnet test Fleet502.sln -c Release --no-build --logger "trx" --results-directory "$results" \
  --logger "console;verbosity=normal" -- RunConfiguration.TreatNoTestsAsError=false
test_rc=$?

# Totals from the TRX files of every test project (their <Counters .../> element).
counter() { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null | grep -o " $1=\"[0-9]*\"" | awk -F'"' '{s+=$2} END {print s+0}'; }
sum() { local t=0 v; for v in "$@"; do t=$((t + ${v:-0})); done; echo "$t"; }
passed=$(sum "$(counter passed)")
failed=$(sum "$(counter failed)" "$(counter error)" "$(counter timeout)")
if [ "$aot_failed" -ne 0 ]; then failed=$((failed + 1)); fi
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
