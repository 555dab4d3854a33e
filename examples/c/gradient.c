/* SPDX-License-Identifier: GPL-3.0-or-later
 * libgrad example: the value and every partial derivative of the five-variable function
 * of examples/2-partials.sh, and one derivative as a formula. Prints what
 *   grad 'a^3 b^2/ln(c+1) + ...' --at a=1,b=2,c=3,d=0.5,e=1.5
 * prints, then the formula of df/da.
 *   cc gradient.c $(pkg-config --cflags --libs grad) -o gradient
 */
#include <grad.h>
#include <stdio.h>
#include <stdlib.h>

/* the shortest %g that reads back as the same double */
static void put(const char *label, const char *name, double v) {
  char buf[32];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  printf("%s%s = %s\n", label, name, buf);
}

int main(void) {
  /* e is a variable here, not Euler's number: declare the variables (and their order) */
  static const char *const vars[] = {"a", "b", "c", "d", "e", NULL};
  const char *src = "a^3 b^2/ln(c+1) + exp(a d) cos(b c) + sqrt(a^2+b^2) ln(d^2+e^2)";
  grad_error err;
  grad_expr *f = grad_compile_vars(src, vars, &err);
  if (!f) {
    fprintf(stderr, "gradient: column %zu: %s\n", err.column, err.message);
    return err.code;
  }
  double x[5] = {1, 2, 3, 0.5, 1.5}, value, g[5];
  int st = grad_eval(f, x, &value, g);
  put("f", "", value);
  for (int i = 0; i < grad_nvars(f); i++)
    put("df/d", grad_var_name(f, i), g[i]);
  char *da = grad_derivative(f, "a", &err);
  if (!da) {
    fprintf(stderr, "gradient: %s\n", err.message);
    grad_expr_free(f);
    return err.code;
  }
  printf("d/da = %s\n", da);
  free(da);
  grad_expr_free(f);
  return st;
}
