package dev.starling.privacy.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The PRV accountant against exact values: full-batch Gaussian cases, whose optimal delta is known in
 * closed form (Balle and Wang 2018, Theorem 8), within 1e-3 relative, including the case from
 * microsoft/prv_accountant's own tests; and, for subsampled cases, never above the RDP accountant's
 * epsilon and more than half of it.
 */
class PrvAccountantTest {
  @Test
  void delta_prvAccountantAnalyticCase_within1e3Relative() {
    // microsoft/prv_accountant's test_analytic_solution: z=100, q=1, 10000 steps, eps=4 (mu = 1).
    double mu = Math.sqrt(10000) / 100.0;
    double exact = phi(-4 / mu + mu / 2) - Math.exp(4) * phi(-4 / mu - mu / 2);
    double d = new PrvAccountant().delta(1.0, 100.0, 10000, 4.0);
    assertThat(d).isCloseTo(exact, within(1e-3 * exact));
  }

  @Test
  void delta_fullBatchGaussian_matchesAnalyticOptimum() {
    // q = 1, T steps of noise z is one Gaussian with noise z / sqrt(T); the tight delta is
    // Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s) with s = effective noise.
    double z = 2.0;
    int steps = 16;
    double s = z / Math.sqrt(steps);
    double eps = 1.5;
    double exact = phi(1 / (2 * s) - eps * s) - Math.exp(eps) * phi(-1 / (2 * s) - eps * s);
    double d = new PrvAccountant().delta(1.0, z, steps, eps);
    assertThat(d).isCloseTo(exact, within(1e-3 * exact));
  }

  @Test
  void epsilon_isAtMostRdpAndClose() {
    PrvAccountant prv = new PrvAccountant();
    RdpAccountant rdp = new RdpAccountant();
    double[][] cases = {{0.04, 1.5, 2250}, {0.1, 1.0, 100}, {0.01, 1.1, 1000}, {1e-4, 10, 1_000_000}, {0.2, 1.0, 40}};
    for (double[] c : cases) {
      double e1 = prv.epsilon(c[0], c[1], (long) c[2], 1e-5);
      double e2 = rdp.epsilon(c[0], c[1], (long) c[2], 1e-5);
      assertThat(e1).as("q=%s z=%s T=%s", c[0], c[1], c[2]).isLessThanOrEqualTo(e2).isGreaterThan(0.5 * e2);
    }
  }

  private static double phi(double x) {
    return 0.5 * org.apache.commons.numbers.gamma.Erfc.value(-x / Math.sqrt(2));
  }
}
