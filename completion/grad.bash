# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for grad and minimize: options, their fixed values (formats, methods,
# modes), files where an option takes a file, and variable names after --at/--wrt/--range
# taken from the expression already on the command line.

_grad_expr_names() {
  # names that look like variables in the first non-option word
  local w expr=
  for w in "${COMP_WORDS[@]:1}"; do
    case $w in -*) ;; *) expr=$w; break ;; esac
  done
  [ -n "$expr" ] || return
  printf '%s\n' "$expr" | grep -oE '[A-Za-z_][A-Za-z_0-9]*' | sort -u |
    grep -vxE 'sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|exp|expm1|log|ln|log1p|log2|log10|sqrt|cbrt|pow|abs|sign|min|max|hypot|erf|erfc|lgamma|gamma|digamma|polygamma|sigmoid|relu|softplus|floor|ceil|round|detach|stop_gradient|if|where|sum|mean|prod|dot|norm|pi|e'
}

_grad() {
  local cur prev
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="--at --wrt --format --digits --no-grad --symbolic --cse --order --taylor --hessian
    --check --eps --atol --rtol --vjp --jvp --mode --stats --graph --dot --range --points --threads --exact
    --plot --plot= --gnuplot --help --version -a -w -F -d -f -s -h -V"
  case $prev in
    -F|--format) COMPREPLY=($(compgen -W "text tsv json latex c binary" -- "$cur")); return ;;
    --mode) COMPREPLY=($(compgen -W "forward reverse auto" -- "$cur")); return ;;
    -f) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -w|--wrt) COMPREPLY=($(compgen -W "all $(_grad_expr_names)" -- "$cur")); return ;;
    -a|--at|--jvp) COMPREPLY=($(compgen -S = -W "$(_grad_expr_names)" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
    --range) COMPREPLY=($(compgen -S = -W "$(_grad_expr_names)" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
    -d|--digits|--order|--taylor|--points|--threads|--eps|--atol|--rtol|--vjp) return ;;
  esac
  case $cur in
    --plot=*) COMPREPLY=($(compgen -f -P --plot= -- "${cur#--plot=}")); return ;;
    -*) COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [ "${COMPREPLY[0]}" = --plot= ] && compopt -o nospace 2>/dev/null
        return ;;
  esac
}

_minimize() {
  local cur prev
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="--from --fix --init --seed --method --lr --steps --gtol --ftol --xtol --momentum
    --dampening --nesterov --weight-decay --beta1 --beta2 --eps --amsgrad --momentum-decay
    --decoupled-weight-decay --alpha --centered --lr-decay --initial-accumulator --step
    --line-tol --trace --every --format --digits --data --columns --using --loss --via --sigma --plot --plot=
    --gnuplot --bounds --subject-to --restarts --threads --help --version -m -l -n -t -F -d -h -V"
  case $prev in
    -m|--method) COMPREPLY=($(compgen -W "gd sgd adam adamw nadam rmsprop adagrad bfgs cg-fr cg-pr
        steepest nelder-mead lm lbfgs slsqp mma ccsaq cobyla bobyqa direct crs2 isres mlsl" -- "$cur")); return ;;
    -F|--format) COMPREPLY=($(compgen -W "text tsv json" -- "$cur")); return ;;
    --init) COMPREPLY=($(compgen -W "zero random" -- "$cur")); return ;;
    --loss) COMPREPLY=($(compgen -W "mse sse" -- "$cur")); return ;;
    --data) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --from|--fix|--bounds) COMPREPLY=($(compgen -S = -W "$(_grad_expr_names)" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
    -l|--lr|-n|--steps|--gtol|--ftol|--xtol|--momentum|--dampening|--weight-decay|--beta1|--beta2|--eps|--momentum-decay|--alpha|--lr-decay|--initial-accumulator|--step|--line-tol|--every|-d|--digits|--seed|--columns|--using|--via|--sigma|--subject-to|--restarts|--threads) return ;;
  esac
  case $cur in
    --plot=*) COMPREPLY=($(compgen -f -P --plot= -- "${cur#--plot=}")); return ;;
    -*) COMPREPLY=($(compgen -W "$opts" -- "$cur")); return ;;
  esac
}

complete -F _grad grad
complete -F _minimize minimize
