/* SPDX-License-Identifier: GPL-3.0-or-later
 * libgrad example: Rosenbrock's function minimized by BFGS from (-1.2, 1), with a
 * progress callback. Prints the point, the value and the gradient norm as
 *   minimize '(1-x)^2 + 100(y-x^2)^2' --from x=-1.2,y=1
 * does.
 *   cc minimize.c $(pkg-config --cflags --libs grad) -o minimize
 */
#include <grad.h>
#include <stdio.h>
#include <stdlib.h>

static void put(const char *name, double v) {
  char buf[32];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  printf("%s = %s\n", name, buf);
}

/* called at the start and after every iteration; nonzero would stop the run */
static int progress(void *userdata, long iter, const double *x, double f, double gnorm) {
  long *calls = userdata;
  ++*calls;
  if (iter % 10 == 0)
    fprintf(stderr, "iteration %ld: x = %g, y = %g, f = %g, |g| = %g\n", iter, x[0], x[1], f,
            gnorm);
  return 0;
}

int main(void) {
  grad_error err;
  grad_expr *f = grad_compile("(1-x)^2 + 100(y-x^2)^2", &err);
  if (!f) {
    fprintf(stderr, "minimize: column %zu: %s\n", err.column, err.message);
    return err.code;
  }
  double x[2] = {-1.2, 1};
  long calls = 0;
  grad_minimize_options o;
  grad_minimize_options_init(&o); /* bfgs and its defaults */
  o.progress = progress;
  o.userdata = &calls;
  grad_minimize_result r;
  int st = grad_minimize(f, x, &o, &r, &err);
  if (st != GRAD_OK && st != GRAD_ENUMERIC) {
    fprintf(stderr, "minimize: %s\n", err.message);
    grad_expr_free(f);
    return st;
  }
  printf("%s: %ld iterations, stopped: %s\n", o.method, r.iterations, r.stop);
  printf("converged: %s\n", r.converged ? "yes" : "no");
  for (int i = 0; i < grad_nvars(f); i++)
    put(grad_var_name(f, i), x[i]);
  put("f", r.f);
  put("gradient norm", r.gnorm);
  grad_expr_free(f);
  return calls == r.iterations + 1 ? st : 1;
}
