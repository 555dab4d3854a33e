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
. "$(dirname "$0")/testlib.sh"

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

# malformed --range items: exit 2, the message says what is expected, the caret shows where
expect 2 "expected LO:HI after '='" "$GRAD" x --range x=1
expect 2 "'a' is a name" "$GRAD" x --range x=a:1
expect 2 "missing value" "$GRAD" x --range x=:1
for n in 0 abc 2000000000; do
  expect 2 "point count must be a whole number from 1 to 10\\^9" "$GRAD" x --range "x=0:1:$n"
done
expect 2 "expected a variable name before '='" "$GRAD" x --range ' 2x=0:1'
expect 2 "this variable already has a range" "$GRAD" x --range x=0:1,x=0:2
expect 2 "expected NAME=LO:HI" "$GRAD" x --range ''
expect 2 "--range writes text, tsv, json or binary, not latex or c" "$GRAD" x --range x=0:1 --format latex
expect 2 "no value for variable y" "$GRAD" 'x*y' --range x=0:1

# out-of-range numeric option values of grad: exit 2, naming the option and the value
expect 2 "--order takes a whole number from 1 to 1000, not '0'" "$GRAD" x --at x=1 --order 0
expect 2 "--order takes a whole number from 1 to 1000, not '1001'" "$GRAD" x --at x=1 --order 1001
for v in 0 abc; do
  expect 2 "--eps, --atol and --rtol take a finite number >= 0 \\(eps > 0\\), not '$v'" \
    "$GRAD" x --at x=1 --check --eps "$v"
done
expect 2 "take a finite number >= 0 \\(eps > 0\\), not '-1'" "$GRAD" x --at x=1 --check --atol -1
expect 2 "take a finite number >= 0 \\(eps > 0\\), not 'inf'" "$GRAD" x --at x=1 --check --rtol inf
expect 2 "unknown --format 'yaml'" "$GRAD" x --at x=1 --format yaml
expect 2 "--wrt names 'sin', which is neither a variable" "$GRAD" x --at x=1 --wrt sin
expect 2 "--threads takes a whole number from 1 to 256, not '0'" "$GRAD" x --range x=0:1 --threads 0

# a fit whose names do not match its data file: exit 2, naming the name and the file
samples="${srcdir:-.}/tests/cli/minimize-samples.tsv"
expect 2 "--via names 'x', which is a data column" "$MINIMIZE" 'y = a*x + b' --data "$samples" --via a,x
expect 2 "--via names 'q', which is not a name in the model" "$MINIMIZE" 'y = a*x + b' --data "$samples" --via q
expect 2 "'yy' \\(left of '='\\) is not a column of .*minimize-samples.tsv \\(columns: x y\\)" \
  "$MINIMIZE" 'yy = a*x + b' --data "$samples"
expect 2 "'a' is given both --from and --fix" "$MINIMIZE" 'y = a*x + b' --data "$samples" --fix a=1 --from a=2
for opt in --from --fix; do
  expect 2 "'x' is a data column; it cannot be given a value" "$MINIMIZE" 'y = a*x + b' --data "$samples" $opt x=2
done
echo 'x^2' >"$tmp/sq"
stdin="$tmp/sq" expect 2 "standard input \\('-'\\) may be read once" "$MINIMIZE" - -

# --taylor and --symbolic with what they cannot do: exit 2, saying why
expect 2 "--taylor expands in one variable; name it with --wrt" "$GRAD" 'x*y' --at x=1,y=2 --taylor 3
expect 2 "--taylor expands in one variable; the expression has none" "$GRAD" pi --taylor 2
expect 2 "--taylor prints numbers at one point \\(--at\\); not with --symbolic" "$GRAD" 'x*y' --taylor 2 --symbolic
expect 2 "--taylor prints numbers at one point \\(--at\\); not with --range" "$GRAD" x --taylor 2 --range x=0:1
expect 2 "--format tsv holds numbers; --symbolic prints text, json, latex or c" \
  "$GRAD" 'x*y' --at x=1,y=2 --format tsv --symbolic
expect 2 "--wrt names 'q', which is not a variable of the expression \\(variables: x y\\)" \
  "$GRAD" 'x*y' --at x=1,y=2 --order 2 --wrt x,q

# a bad option value is reported once: one error line, then the pointer to --help
for prog in "$GRAD x --at x=1" "$MINIMIZE x^2"; do
  for v in abc 0 18; do
    set -f
    # shellcheck disable=SC2086
    $prog --digits "$v" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set +f
    if [ $rc = 2 ] && [ "$(grep -c 'error:' "$tmp/err")" = 1 ] &&
       grep -q "^[a-z]*: error: --digits takes a whole number from 1 to 17, not '$v'" "$tmp/err"; then
      pass=$((pass+1))
    else
      echo "FAIL: '$prog --digits $v': rc $rc, stderr:"; cat "$tmp/err"; fail=$((fail+1))
    fi
  done
done

finish bad-input
