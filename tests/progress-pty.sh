#!/bin/sh
# The progress line of long runs, on a real terminal (tmux): minimize shows "iteration N of
# STEPS (P%), ETA ..." on stderr and erases it before its report; a big table written to a
# pipe shows "point N of TOTAL"; Ctrl-C stops both with the line erased. Without a terminal
# on stderr nothing of it is written. Skipped (77) without tmux.
. "$(dirname "$0")/testlib.sh"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed"; exit 77; }
case $GRAD in /*) ;; *) GRAD=$(pwd)/$GRAD ;; esac
case $MINIMIZE in /*) ;; *) MINIMIZE=$(pwd)/$MINIMIZE ;; esac
n=0
trap 'for s in "$tmp"/sock*; do tmux -S "$s" kill-server >/dev/null 2>&1; done; rm -rf "$tmp"' EXIT
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*"
  echo "--- screen:"
  cat "$tmp/screen"
}
screen() { tmux -S "$sock" capture-pane -p -t p >"$tmp/screen" 2>/dev/null; }
# wait (up to 20 s) until the screen matches the pattern
wait_for() {
  i=0
  while [ $i -lt 400 ]; do
    screen
    grep -q -- "$1" "$tmp/screen" && return 0
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}
# run a shell command line in a new terminal, 120 columns wide; the shell outlives a
# Ctrl-C of the command and says how it ended
run() {
  n=$((n + 1))
  sock="$tmp/sock$n"
  printf 'trap : INT\n%s\necho DONE $?\nsleep 30\n' "$1" >"$tmp/cmd$n.sh"
  tmux -S "$sock" -f /dev/null new-session -d -s p -x 120 -y 30 "sh '$tmp/cmd$n.sh'" ||
    { echo "FAIL: cannot start tmux"; exit 1; }
}

# minimize: percent and ETA while it runs; Ctrl-C; the line is gone, the report is there
run "'$MINIMIZE' 'x^2+y^2' --from x=1,y=2 -m gd --lr 1e-12 --steps 2000000000"
if wait_for 'minimize: iteration [0-9]* of 2000000000 ([0-9]*%), ETA .*f = .*|grad| = '; then ok
else bad "minimize shows no progress line"; fi
tmux -S "$sock" send-keys -t p C-c
if wait_for 'DONE 130'; then
  if grep -q 'ETA' "$tmp/screen"; then bad "the progress line was not erased"; else ok; fi
  grep -q '^x = ' "$tmp/screen" && grep -q 'interrupted' "$tmp/screen" && ok ||
    bad "no report after the interrupt"
else bad "minimize did not stop on Ctrl-C"; fi

# a table of 10^9 points to a file (not the terminal): points and ETA; Ctrl-C stops it, the line erased
run "'$GRAD' 'sin(x)*exp(-x)' --range x=0:1:1000000000 --format binary >/dev/null"
if wait_for 'grad: point [0-9]* of 1000000000 ([0-9]*%), ETA '; then ok
else bad "a big table shows no progress line"; fi
tmux -S "$sock" send-keys -t p C-c
if wait_for 'DONE'; then
  if grep -q 'ETA' "$tmp/screen"; then bad "the table's progress line was not erased"; else ok; fi
else bad "the table did not stop on Ctrl-C"; fi

# stderr not a terminal: no progress line at all
timeout --preserve-status -s INT 2 "$MINIMIZE" 'x^2+y^2' --from x=1,y=2 -m gd --lr 1e-12 --steps 2000000000 \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 130 ] && grep -q interrupted "$tmp/err" && ! grep -q 'ETA' "$tmp/err"; then ok
else echo "FAIL: stderr to a file: rc $rc: $(cat "$tmp/err")"; fail=$((fail + 1)); fi

finish progress
