package dev.starling.privacy.statistical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.learner.ClientState;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.privacy.dp.CentralDpConfig;
import dev.starling.privacy.dp.CentralDpStrategy;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.privacy.dp.LocalDpStrategy;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Statistical checks of the noise scale (seeded, so deterministic): with n = 200,000 coordinates the
 * sample standard deviation of a Gaussian is within 1% of the truth with probability far above
 * 1 - 1e-9 (its relative standard error is 1/sqrt(2n) = 0.16%), and the sample mean within 5 standard
 * errors of 0. A wrong scale (a forgotten factor of k or of C) would fail by orders of magnitude.
 */
@Tag("statistical")
class NoiseScaleTest {
  private static final int N = 200_000;

  private static double[] meanSd(float[] x) {
    double s = 0;
    double s2 = 0;
    for (float v : x) {
      s += v;
      s2 += (double) v * v;
    }
    double m = s / x.length;
    return new double[] {m, Math.sqrt(s2 / x.length - m * m)};
  }

  @Test
  void centralDp_noiseOnMeanHasStdZCOverK() {
    double c = 2.0;
    double z = 1.3;
    int k = 8;
    CentralDpStrategy s = new CentralDpStrategy(new FedAvg(), CentralDpConfig.fixed(c, z), RandomSource.seeded(11));
    s.prepare(new RoundPlan(k, 80));
    ParameterSet global = ParameterSet.of(Tensor.zeros("w", N));
    Aggregation a = s.beginAggregation(1, global);
    for (int i = 0; i < k; i++) {
      a.accept(ClientId.ofIndex(i), new TrainResult(global.copy(), 1, 1, Metrics.empty()));
    }
    double[] ms = meanSd(a.finish(List.of()).parameters().get("w").data());
    double expected = z * c / k;
    assertThat(ms[1]).isCloseTo(expected, within(0.01 * expected));
    assertThat(ms[0]).isCloseTo(0, within(5 * expected / Math.sqrt(N)));
  }

  @Test
  void localDp_noiseOnEachUpdateHasStdSigmaC() {
    double c = 0.5;
    double sigma = 3.0;
    LocalDpConfig cfg = new LocalDpConfig(c, sigma, 1e-5, OptionalDouble.empty(),
        new dev.starling.privacy.accounting.RdpAccountant(), true);
    ParameterSet global = ParameterSet.of(Tensor.zeros("w", N));
    TrainResult r = LocalDpStrategy.interceptor(cfg).fit(global, TrainConfig.builder().seed(5).build(), new ClientState(),
        (g, conf) -> new TrainResult(g.copy(), 1, 1, Metrics.empty()));
    double[] ms = meanSd(r.parameters().get("w").data());
    assertThat(ms[1]).isCloseTo(sigma * c, within(0.01 * sigma * c));
    assertThat(ms[0]).isCloseTo(0, within(5 * sigma * c / Math.sqrt(N)));
  }
}
