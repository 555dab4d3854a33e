#!/bin/sh
# The interactive session on a real terminal: tmux gives grad a pseudo-terminal, the test
# types keys and reads the screen. Checks the prompt, a command, tab completion of
# commands, defined names and method names, Ctrl-C clearing the line, Ctrl-D leaving, the
# history file, and recalling history in a second session. Skipped (77) without tmux.
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed"; exit 77; }
case $GRAD in /*) ;; *) GRAD=$(pwd)/$GRAD ;; esac
tmp=$(mktemp -d)
# a new tmux server (socket) per session: a server that is still shutting down after the
# last session ended must not be reused by the next one ("server exited unexpectedly")
n=0
newsock() { n=$((n + 1)); sock="$tmp/sock$n"; }
trap 'for s in "$tmp"/sock*; do tmux -S "$s" kill-server >/dev/null 2>&1; done; rm -rf "$tmp"' EXIT
# without readline there is no completion or history to test
if ! "$GRAD" --version >/dev/null 2>&1; then echo "FAIL: $GRAD does not run"; exit 1; fi

fail() {
  echo "FAIL: $*"
  echo "--- screen:"
  cat "$tmp/screen"
  exit 1
}

screen() { tmux -S "$sock" capture-pane -p -t grad >"$tmp/screen" 2>/dev/null; }

# wait until the screen matches the grep pattern $1 (5 s)
wait_for() {
  i=0
  while [ $i -lt 100 ]; do
    screen
    grep -q -- "$1" "$tmp/screen" && return 0
    sleep 0.05
    i=$((i + 1))
  done
  fail "timed out waiting for '$1'"
}

# the last non-empty line of the screen
last_line() { screen; grep -v '^$' "$tmp/screen" | tail -n 1; }

expect_last() {
  i=0
  while [ $i -lt 100 ]; do
    [ "$(last_line)" = "$1" ] && return 0
    sleep 0.05
    i=$((i + 1))
  done
  fail "the last line is '$(last_line)', expected '$1'"
}

keys() { tmux -S "$sock" send-keys -t grad "$@"; }

start() {
  newsock
  tmux -S "$sock" -f /dev/null new-session -d -s grad -x 100 -y 30 \
    "env HOME='$tmp/home' XDG_STATE_HOME='$tmp/state' INPUTRC=/dev/null TERM=screen '$GRAD'" ||
    { echo "FAIL: cannot start tmux"; exit 1; }
}

gone() {
  i=0
  while [ $i -lt 100 ]; do
    tmux -S "$sock" has-session -t grad 2>/dev/null || return 0
    sleep 0.05
    i=$((i + 1))
  done
  fail "the session did not end"
}

mkdir "$tmp/home"
start
wait_for '^grad>$'
if grep -q 'without line editing' "$tmp/screen"; then
  # plain line input on a terminal: prompt, a command, Ctrl-C, an error, Ctrl-D
  keys 'f(x,y) = x^2 + y^2' Enter
  keys 'grad f at x=1, y=2' Enter
  wait_for '^df/dy = 4$'
  expect_last 'grad>'
  keys 'grad f' C-c
  expect_last 'grad>'
  keys 'sin(1))' Enter
  wait_for '^grad: error: '
  expect_last 'grad>'
  keys C-d
  gone
  echo "repl-pty: ok (without readline: no completion or history)"
  exit 0
fi
keys 'f(x,y) = x^2 + y^2' Enter
keys 'grad f at x=1, y=2' Enter
wait_for '^df/dy = 4$'
expect_last 'grad>'
# completion of a command: "mini" -> "minimize "
keys 'mini' Tab
expect_last 'grad> minimize'
# of a method name (with its '-'): "method nel" -> "nelder-mead"
keys 'f method nel' Tab
expect_last 'grad> minimize f method nelder-mead'
# Ctrl-C clears the line and gives a fresh prompt; nothing runs
keys C-c
expect_last 'grad>'
grep -q 'not available\|error' "$tmp/screen" && fail "Ctrl-C ran the line"
# like bash: the discarded line stays on the screen with ^C after it
grep -q '^grad> minimize f method nelder-mead *\^C$' "$tmp/screen" || fail "no ^C after the discarded line"
# a defined name: "foob" -> "foobar"
keys 'foobar = 2' Enter
wait_for '^foobar = 2$'
keys 'foob' Tab
expect_last 'grad> foobar'
keys ' + 1' Enter
wait_for '^f = 3$'
# a built-in function: "sqr" -> "sqrt"
keys 'sqr' Tab
expect_last 'grad> sqrt'
keys '(foobar)' Enter
wait_for '^f = 1.4142135623730951$'
# a line ending inside an open parenthesis continues, with the prompt '...>'
keys 'sin(' Enter
expect_last '...>'
keys '0)' Enter
wait_for '^f = 0$'
expect_last 'grad>'
# so does one ending with a backslash
keys '1 + \' Enter
expect_last '...>'
keys '2' Enter
wait_for '^f = 3$'
# ans is the last value
keys 'ans * 2' Enter
wait_for '^f = 6$'
# Ctrl-C in a continued line discards all of it
keys 'cos(' Enter
expect_last '...>'
keys '1' C-c
expect_last 'grad>'
keys '7' Enter
wait_for '^f = 7$'
# Ctrl-C stops a long computation and the session goes on
keys 'minimize (x - 1)^2 from x=5 method gd lr 0.000000000001 steps 2000000000' Enter
sleep 1
keys C-c
wait_for 'interrupt'
expect_last 'grad>'
keys '8' Enter
wait_for '^f = 8$'
# an error keeps the session going
keys 'sin(1))' Enter
wait_for '^grad: error: '
expect_last 'grad>'
keys C-d
gone

hist="$tmp/state/grad/history"
[ -f "$hist" ] || { echo "FAIL: no history file $hist"; exit 1; }
grep -qx 'grad f at x=1, y=2' "$hist" || { echo "FAIL: history lacks a command:"; cat "$hist"; exit 1; }
grep -qx 'foobar + 1' "$hist" || { echo "FAIL: history lacks a completed line:"; cat "$hist"; exit 1; }
grep -qx 'sqrt(foobar)' "$hist" || { echo "FAIL: a completed function name got a space:"; cat "$hist"; exit 1; }

# a second session recalls the history with the Up arrow
start
wait_for '^grad>$'
keys Up
expect_last 'grad> sin(1))'
keys Up Up Up
expect_last 'grad> 7'
keys C-u 'quit' Enter
gone

# without XDG_STATE_HOME: ~/.grad_history
newsock
tmux -S "$sock" -f /dev/null new-session -d -s grad -x 100 -y 30 \
  "env -u XDG_STATE_HOME HOME='$tmp/home' INPUTRC=/dev/null TERM=screen '$GRAD'"
wait_for '^grad>$'
keys '1+1' Enter
wait_for '^f = 2$'
keys 'exit' Enter
gone
grep -qx '1+1' "$tmp/home/.grad_history" || { echo "FAIL: no ~/.grad_history"; exit 1; }
echo "repl-pty: ok"
