package dev.starling.privacy.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import org.junit.jupiter.api.Test;

/**
 * The PRV accountant against exact and published values: full-batch Gaussian cases, whose optimal
 * delta is known in closed form (Balle and Wang 2018, Theorem 8), including the case from
 * microsoft/prv_accountant's own tests; microsoft/prv_accountant's published subsampled values (within
 * their stated error band); and never above the RDP accountant's epsilon.
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

  /**
   * microsoft/prv_accountant's values as published in Opacus's PRV accountant test (delta = 1e-6). Opacus
   * reports the upper end of an error band of eps_error = 0.01 around its estimate, so the exact epsilon
   * lies in [published - 0.02, published]; ours must fall there (it does, 0.009-0.011 below each).
   */
  @Test
  void epsilon_publishedPrvValues_withinTheirErrorBand() {
    double[][] cases = {
        {0.8, 0.001, 100, 0.270403364058018680360362395731},
        {1.5, 0.001, 100, 0.0393694193095203287535710501288},
        {3.0, 0.001, 100, 0.0215200934390882663016508757892},
        {0.8, 0.05, 100, 6.74105193941409996938318727189},
        {3.0, 0.2, 100, 3.38122051022184422208738396876},
        {0.8, 0.2, 100, 24.3336641779225644199868838768},
        {1.5, 0.05, 1000, 6.20996924657726712126759593957},
        {0.8, 0.001, 20000, 1.29600925757016161021795142005},
        {2.0, 0.05, 20000, 24.4217185703225858617315680021},
        {1.5, 0.001, 100000, 1.01528807502760787251361307426},
    };
    PrvAccountant prv = new PrvAccountant();
    for (double[] c : cases) {
      double eps = prv.epsilon(c[1], c[0], (long) c[2], 1e-6);
      assertThat(eps).as("z=%s q=%s T=%s", c[0], c[1], c[2]).isBetween(c[3] - 0.02, c[3]);
    }
  }

  @Test
  void epsilon_largeCompositionOfGaussians_matchesClosedFormTo1e4() {
    // 20,000 full-batch steps of z = 30: mu = sqrt(T)/z; epsilon at delta 1e-6 by bisection on the exact curve.
    double mu = Math.sqrt(20000) / 30;
    double lo = 0;
    double hi = 200;
    for (int i = 0; i < 200; i++) {
      double m = 0.5 * (lo + hi);
      double d = phi(-m / mu + mu / 2) - Math.exp(m) * phi(-m / mu - mu / 2);
      if (d > 1e-6) {
        lo = m;
      } else {
        hi = m;
      }
    }
    assertThat(new PrvAccountant().epsilon(1.0, 30, 20000, 1e-6)).isCloseTo(hi, within(1e-4));
  }

  @Test
  void epsilon_fullBatchBeyondExpOverflow_isExactNotCappedAt709() {
    // q = 1, z = 0.25, 100 steps: one Gaussian with mu = sqrt(100) / 0.25 = 40. The exact epsilon at delta 1e-5,
    // by bisection on Phi(-e/mu + mu/2) - e^e Phi(-e/mu - mu/2) in 50-digit arithmetic (mpmath), is 969.64559.
    // e^969 overflows a double: an accountant that forms e^eps directly stops at 709.78.
    double eps = new PrvAccountant().epsilon(1.0, 0.25, 100, 1e-5);

    assertThat(eps).isCloseTo(969.64559, within(0.01));
  }

  @Test
  void noiseMultiplier_prvHugeTarget_isTightAndNeedsFewEvaluations() {
    // Same setting: the exact z for epsilon 1000 at delta 1e-5 is 10 / mu with mu = 40.6805310 (mpmath): 0.2458178.
    // A 0.01 mesh keeps each evaluation to 2^18 points; epsilon moves by about 40 per unit of mu, so the answer
    // still lands within 1e-5 of the exact z. The search used to return 0 after some thousand evaluations.
    PrvAccountant accountant = new PrvAccountant(0.01);
    CountingAccountant prv = new CountingAccountant(accountant);

    double z = NoiseCalibration.noiseMultiplier(prv, 1.0, 100, 1000, 1e-5);

    assertThat(z).isCloseTo(0.2458178, within(1e-5));
    assertThat(prv.calls).isLessThanOrEqualTo(12);
    assertThat(accountant.epsilon(1.0, z, 100, 1e-5)).isLessThanOrEqualTo(1000);
    assertThat(accountant.epsilon(1.0, z * (1 - 1e-4), 100, 1e-5)).isGreaterThan(1000);
  }

  @Test
  void noiseMultiplier_targetMetByAnyNoise_isRefusedAfterBoundedSearch() {
    // RDP at z = 1/1024, q = 1, 100 steps gives epsilon about 5e7: a target of 1e12 constrains nothing.
    CountingAccountant rdp = new CountingAccountant(new RdpAccountant());

    assertThatThrownBy(() -> NoiseCalibration.noiseMultiplier(rdp, 1.0, 100, 1e12, 1e-5))
        .isInstanceOf(FlException.class).hasMessageContaining("target epsilon 1.0E12")
        .hasMessageContaining("bounds nothing");
    assertThat(rdp.calls).isLessThanOrEqualTo(13);
  }

  @Test
  void noiseMultiplier_unreachableTarget_isRefusedAfterBoundedSearch() {
    CountingAccountant rdp = new CountingAccountant(new RdpAccountant());

    assertThatThrownBy(() -> NoiseCalibration.noiseMultiplier(rdp, 1.0, 1_000_000_000L, 1e-3, 1e-9))
        .isInstanceOf(FlException.class).hasMessageContaining("no noise multiplier up to 1024");
    assertThat(rdp.calls).isLessThanOrEqualTo(12);
  }

  /** Counts epsilon evaluations, to bound the search's cost without timing it. */
  private static final class CountingAccountant implements PrivacyAccountant {
    private final PrivacyAccountant inner;
    int calls;

    CountingAccountant(PrivacyAccountant inner) {
      this.inner = inner;
    }

    @Override
    public double epsilon(double q, double z, long steps, double delta) {
      calls++;
      return inner.epsilon(q, z, steps, delta);
    }

    @Override
    public double delta(double q, double z, long steps, double epsilon) {
      return inner.delta(q, z, steps, epsilon);
    }

    @Override
    public String name() {
      return inner.name();
    }
  }

  private static double phi(double x) {
    return 0.5 * org.apache.commons.numbers.gamma.Erfc.value(-x / Math.sqrt(2));
  }
}
