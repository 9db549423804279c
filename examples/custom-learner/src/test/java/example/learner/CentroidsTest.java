package example.learner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CentroidsTest {
  @Test
  void federatedNearestCentroid_reachesAccuracyOnDigits_inSimulationAndOverGrpc() throws Exception {
    // a nearest-class-mean classifier gets ~0.9 on the digits; a learner that did not learn would get ~0.1
    assertThat(Main.simulate(3, 1)).isGreaterThan(0.85);
    assertThat(Main.overGrpc(3, 1)).isGreaterThan(0.85);
  }
}
