#!/bin/sh
# Regenerate the seed corpus tests/fuzz/seeds/ from the golden CLI cases, the error corpus,
# the data files and the session scripts of the test suite, plus the hand-written seeds in
# tests/fuzz/seeds-extra/. Each seed is named by a hash of its contents (duplicates drop
# out). Run from anywhere: sh tests/fuzz/make-seeds.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=tests/fuzz/seeds
rm -rf "$out"
mkdir -p "$out/expr" "$out/data" "$out/script" "$out/cli"
# inputs of pending/ crash on bugs not fixed yet: not seeds (make check replays the seeds)
pending=$(
  for f in tests/fuzz/pending/*/*; do if [ -f "$f" ]; then sha1sum <"$f" | cut -c1-16; fi; done)
put() { # put TARGET FILE: store FILE's contents under its hash
  h=$(sha1sum <"$2" | cut -c1-16)
  case " $(echo $pending) " in *" $h "*) echo "skipped (pending): $2"; return ;; esac
  cp "$2" "$out/$1/$h"
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# cli: every golden command line as it is; expr: grad's expression (its first argument)
for a in tests/cli/*.args; do
  put cli "$a"
  if [ "$(head -n 1 "$a")" = grad ]; then
    e=$(sed -n 2p "$a")
    case "$e" in -*|'') ;; *) printf '%s' "$e" >"$tmp"; put expr "$tmp" ;; esac
  fi
done
# the error corpus: grad lines are expressions (and command lines with --at x=1,y=2),
# minimize lines are tab-separated command lines
for f in tests/errors/*.txt; do
  kind=$(basename "$f" | cut -d- -f1)
  grep -v '^#' "$f" | grep -v '^$' | while IFS= read -r line; do
    if [ "$kind" = grad ]; then
      printf '%s' "$line" >"$tmp"; put expr "$tmp"
      printf 'grad\n%s\n--at\nx=1,y=2\n' "$line" >"$tmp"; put cli "$tmp"
    else
      { echo minimize; printf '%s\n' "$line" | tr '\t' '\n'; } >"$tmp"; put cli "$tmp"
    fi
  done
done
# data files
for f in tests/cli/*.tsv tests/cli/*.csv tests/errors/*.tsv tests/errors/*.csv; do
  [ -f "$f" ] && put data "$f"
done
# session scripts
for f in tests/cli/repl-*.in tests/cli/*.grad; do
  [ -f "$f" ] && put script "$f"
done
# hand-written seeds: seeds-extra/TARGET/*
for d in tests/fuzz/seeds-extra/*; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do [ -f "$f" ] && put "$(basename "$d")" "$f"; done
done
for t in expr data script cli; do
  echo "seeds/$t: $(ls "$out/$t" | wc -l) files"
done
du -sh "$out"
