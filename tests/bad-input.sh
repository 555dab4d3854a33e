#!/bin/sh
# Bad input off the happy path must fail cleanly: a message on stderr that names what is
# wrong, the documented exit status, never a crash (status >= 128, or a sanitizer report).
#  - every comma list option of both programs, with an empty item in each position
#    (",V", "V,", "V,,V", "V, ,V" and the empty string): exit 2, the message names the option
#  - a NUL byte in an expression (stdin '-') or a session script (-f FILE, stdin): exit 2,
#    the message names the line and column (it would otherwise end the text early)
#  - a directory where a file is read (-f, '-', a session on stdin, --data) or written
#    (--plot=FILE): exit 3, "Is a directory" with the path; a plot file in a folder that
#    does not exist: exit 3 before any work
LC_ALL=C
export LC_ALL
GRAD=${GRAD:-src/grad}
MINIMIZE=${MINIMIZE:-src/minimize}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect STATUS PATTERN CMD...: CMD exits STATUS and its stderr matches the extended
# regular expression PATTERN (and holds no sanitizer report)
expect() {
  want=$1
  pat=$2
  shift 2
  "$@" <"${stdin:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  stdin= # "stdin=FILE expect ...": the input of one command
  if [ "$rc" != "$want" ] || ! grep -Eq -e "$pat" "$tmp/err" ||
     grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
    echo "FAIL: $*: exited $rc (expected $want, stderr matching '$pat'), stderr:"
    cat "$tmp/err"
    fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}

# lists PROG OPTION ITEM EXPR ARGS...: OPTION with an empty item in every position
lists() {
  prog=$1
  opt=$2
  v=$3
  shift 3
  for list in ",$v" "$v," "$v,,$v" "$v, ,$v" "$v,	" ""; do
    expect 2 "in $opt" "$prog" "$@" "$opt" "$list"
  done
}

lists "$GRAD" --at x=1 'x*y' --at y=2
lists "$GRAD" --wrt x 'x*y' --at x=1,y=2
lists "$GRAD" --vjp 1 'x*y' 'x+y' --at x=1,y=2
lists "$GRAD" --jvp x=1 'x*y' 'x+y' --at x=1,y=2
lists "$GRAD" --range x=0:1 'x*y' --at y=2
lists "$MINIMIZE" --from x=1 'x^2+y^2'
lists "$MINIMIZE" --fix y=1 'x^2+y^2'
lists "$MINIMIZE" --columns x 'y = a*x' --data /dev/null

# NUL bytes: in the first line, in a later line
printf 'x^2 + 1\0 + 5' >"$tmp/nul1"
printf 'x^2\n + 1\0 + 5' >"$tmp/nul2"
stdin=$tmp/nul1 expect 2 'line 1, column 8 \(byte offset 7\): a NUL byte' "$GRAD" - --at x=1
stdin=$tmp/nul2 expect 2 'line 2, column 5 \(byte offset 8\): a NUL byte' "$GRAD" - --at x=1
stdin=$tmp/nul2 expect 2 'line 2, column 5 \(byte offset 8\): a NUL byte' "$MINIMIZE" -
printf 'a = 2\ngrad x^2 at x=a\0 + 1\n' >"$tmp/script"
expect 2 "$tmp/script, line 2, column 16: a NUL byte" "$GRAD" -f "$tmp/script"
stdin=$tmp/script expect 2 'standard input, line 2, column 16: a NUL byte' "$GRAD" -f -
stdin=$tmp/script expect 2 'standard input, line 2, column 16: a NUL byte' "$GRAD"

# directories
mkdir "$tmp/dir"
expect 3 "'$tmp/dir': Is a directory" "$GRAD" -f "$tmp/dir"
stdin=$tmp/dir expect 3 'standard input: Is a directory' "$GRAD" -f -
stdin=$tmp/dir expect 3 'standard input: Is a directory' "$GRAD"
stdin=$tmp/dir expect 3 'standard input: Is a directory' "$GRAD" - --at x=1
stdin=$tmp/dir expect 3 'standard input: Is a directory' "$MINIMIZE" -
expect 3 "$tmp/dir.*Is a directory" "$MINIMIZE" 'y = a*x' --data "$tmp/dir"
mkdir "$tmp/dir.png"
expect 3 "'$tmp/dir.png': Is a directory" "$GRAD" 'sin(x)' --range x=0:1 --plot="$tmp/dir.png"
expect 3 "'$tmp/dir.png': Is a directory" "$MINIMIZE" 'x^2' --method gd --lr 0.1 --plot="$tmp/dir.png"
expect 3 "'$tmp/none/f.svg': No such file or directory" "$GRAD" 'sin(x)' --range x=0:1 --plot="$tmp/none/f.svg"

echo "bad-input: $pass passed, $fail failed"
[ $fail = 0 ]
