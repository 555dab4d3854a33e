#!/bin/sh
# --help, the man page's OPTIONS section and the bash completion of grad and minimize must
# agree, both ways: every long option in --help is documented in OPTIONS (written there as
# \-\-name) and offered by completion; every option in OPTIONS or in completion is in --help
# and accepted by the program's getopt; the value words completion offers (formats, modes,
# methods) are the ones the program accepts.
. "$(dirname "$0")/testlib.sh"
: "${srcdir:=.}"
MAN_DIR=${MAN_DIR:-$srcdir/man}
COMPLETION=${COMPLETION:-$srcdir/completion/grad.bash}


# the long options of a file of text (--name, without a trailing '=')
longs() { grep -o -- '--[a-z][a-z0-9-]*' "$1" | sort -u; }
# the short options of --help: "-x," or "-x " at the start of an option line
shorts() { grep -oE '^ +-[A-Za-z]([ ,]|$)' "$1" | grep -oE -- '-[A-Za-z]' | sort -u; }
# the value words of the "local opts=..." list of a completion function
comp_opts() {
  awk -v f="$1()" '$1 == f { on = 1 } on && /local opts="/ { grab = 1; sub(/.*opts="/, "") }
    grab { if (index($0, "\"")) { sub(/".*/, ""); print; exit } print }' "$COMPLETION" |
    tr ' \t' '\n\n' | sed '/^$/d; s/=$//' | sort -u
}
# the words completion offers after option $2 in function $1
comp_words() {
  awk -v f="$1()" -v o="$2)" '$1 == f { on = 1 } on && /^}/ { exit }
    on && index($0, o) { grab = 1; sub(/.*compgen -W "/, "") }
    grab { if (index($0, "\"")) { sub(/".*/, ""); print; exit } print }' "$COMPLETION" |
    tr ' \t' '\n\n' | sed '/^$/d' | sort -u
}
# the words an "unknown --OPT 'x' (expected a, b or c)" message lists
expected_words() {
  sed -n 's/.*(expected \(.*\)).*/\1/p' "$1" | sed 's/,/ /g; s/ or / /g' | tr ' ' '\n' |
    sed '/^$/d' | sort -u
}

check_prog() {
  prog=$1 bin=$2
  man="$MAN_DIR/$prog.1"
  if ! "$bin" --help >"$tmp/help"; then
    bad "$prog --help exited non-zero"
    return
  fi
  longs "$tmp/help" >"$tmp/h"
  n=$(wc -l <"$tmp/h")
  if [ "$n" -lt 5 ]; then
    bad "found only $n options in $prog --help"
    return
  fi
  # the OPTIONS section of the man page, \- turned into -
  sed 's/\\-/-/g' "$man" | awk '/^\.SH/ { on = ($0 ~ /^\.SH "?OPTIONS"?$/) } on' >"$tmp/opts"
  [ -s "$tmp/opts" ] || { bad "$man has no OPTIONS section"; return; }
  longs "$tmp/opts" >"$tmp/m"

  missing=$(comm -23 "$tmp/h" "$tmp/m")
  if [ -n "$missing" ]; then bad "options in $prog --help but not in the OPTIONS of $man:" $missing
  else pass=$((pass + 1)); fi

  extra=$(comm -13 "$tmp/h" "$tmp/m")
  if [ -n "$extra" ]; then bad "options in the OPTIONS of $man but not in $prog --help:" $extra
  else pass=$((pass + 1)); fi

  # short options: every -x in --help is in the man page's OPTIONS, and back
  shorts "$tmp/help" >"$tmp/hs"
  grep -oE '(^|[^-a-z])-[A-Za-z]\b' "$tmp/opts" | grep -oE -- '-[A-Za-z]' | sort -u >"$tmp/ms"
  missing=$(comm -23 "$tmp/hs" "$tmp/ms")
  if [ -n "$missing" ]; then bad "short options in $prog --help but not in $man:" $missing
  else pass=$((pass + 1)); fi

  # every documented option is accepted by getopt (no "unknown option")
  rejected=
  for o in $(sort -u "$tmp/h" "$tmp/m") $(cat "$tmp/hs"); do
    "$bin" "$o" </dev/null >"$tmp/out" 2>"$tmp/err"
    if grep -qi -e "unknown option" -e "unrecognized option" -e "invalid option" "$tmp/err"; then
      rejected="$rejected $o"
    fi
  done
  if [ -n "$rejected" ]; then bad "$prog does not accept documented options:$rejected"
  else pass=$((pass + 1)); fi

  # completion offers exactly the options of --help (long and short)
  comp_opts "_$prog" >"$tmp/c"
  sort -u "$tmp/h" "$tmp/hs" >"$tmp/hall"
  if [ ! -s "$tmp/c" ]; then bad "no option list for $prog in $COMPLETION"
  elif ! cmp -s "$tmp/hall" "$tmp/c"; then
    bad "completion options for $prog differ from --help (< help only, > completion only):"
    diff "$tmp/hall" "$tmp/c" | grep '^[<>]'
  else pass=$((pass + 1)); fi
}

# the values completion offers after $2 are those $prog accepts ($3: an argument list that
# makes the program reject the bogus value and list the expected ones)
check_values() {
  prog=$1 bin=$2 opt=$3
  "$bin" "$opt" bogus x </dev/null >/dev/null 2>"$tmp/err"
  expected_words "$tmp/err" >"$tmp/want"
  comp_words "_$prog" "$opt" >"$tmp/got"
  if [ ! -s "$tmp/want" ] || [ ! -s "$tmp/got" ]; then
    bad "cannot read the values of $prog $opt (program or completion)"
  elif ! cmp -s "$tmp/want" "$tmp/got"; then
    bad "completion values of $prog $opt differ from what it accepts (< accepted, > completed):"
    diff "$tmp/want" "$tmp/got" | grep '^[<>]'
  else pass=$((pass + 1)); fi
}

check_prog grad "$GRAD"
check_prog minimize "$MINIMIZE"
check_values grad "$GRAD" --format
check_values grad "$GRAD" --mode
check_values minimize "$MINIMIZE" --method
check_values minimize "$MINIMIZE" --format
check_values minimize "$MINIMIZE" --init
check_values minimize "$MINIMIZE" --loss

finish help-vs-man
