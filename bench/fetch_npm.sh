#!/usr/bin/env bash
# Download the benign npm evaluation set: `npm pack` of each pinned name,version in bench/data/npm-benign.csv.
#   usage: bench/fetch_npm.sh [OUTDIR] [LIST.csv]     (default OUTDIR: bench/out/benign-npm)
# Only tarballs are fetched (npm pack of a registry spec); --ignore-scripts so nothing runs.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT=${1:-"$HERE/out/benign-npm"}
LIST=${2:-"$HERE/data/npm-benign.csv"}
mkdir -p "$OUT"
LOG="$OUT/fetch-failures.tsv"
printf 'name\tversion\treason\n' > "$LOG"
ok=0; fail=0
while IFS=, read -r name version _rest; do
  [ -z "$name" ] && continue
  if out=$(cd "$OUT" && timeout 300 npm pack --ignore-scripts --silent "${name}@${version}" 2>&1); then
    ok=$((ok+1)); echo "ok   $name@$version -> $out"
  else
    fail=$((fail+1)); printf '%s\t%s\t%s\n' "$name" "$version" "$(printf '%s' "$out" | tail -n 1 | cut -c1-200)" >> "$LOG"
    echo "FAIL $name@$version"
  fi
done < <(tail -n +2 "$LIST" | tr -d '\r')
echo "downloaded=$ok failed=$fail (failures: $LOG)"
