package dev.starling.privacy.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FftTest {
  @Test
  void forward_matchesDirectDftAndInverseRoundTrips() {
    int n = 64;
    Random r = new Random(3);
    double[] re = new double[n];
    double[] im = new double[n];
    for (int i = 0; i < n; i++) {
      re[i] = r.nextGaussian();
      im[i] = r.nextGaussian();
    }
    double[] re0 = re.clone();
    double[] im0 = im.clone();
    Fft f = new Fft(n);
    f.forward(re, im);
    for (int k = 0; k < n; k++) {
      double sr = 0;
      double si = 0;
      for (int j = 0; j < n; j++) {
        double a = -2 * Math.PI * j * k / n;
        sr += re0[j] * Math.cos(a) - im0[j] * Math.sin(a);
        si += re0[j] * Math.sin(a) + im0[j] * Math.cos(a);
      }
      assertThat(re[k]).isCloseTo(sr, within(1e-10));
      assertThat(im[k]).isCloseTo(si, within(1e-10));
    }
    f.inverse(re, im);
    for (int i = 0; i < n; i++) {
      assertThat(re[i]).isCloseTo(re0[i], within(1e-13));
      assertThat(im[i]).isCloseTo(im0[i], within(1e-13));
    }
    assertThatThrownBy(() -> new Fft(48)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void largeTransform_roundTripErrorStaysNearMachinePrecision() {
    int n = 1 << 20;
    double[] re = new double[n];
    double[] im = new double[n];
    re[12345] = 1;
    new Fft(n).forward(re, im);
    // The transform of a unit impulse at j has modulus exactly 1 everywhere.
    double worst = 0;
    for (int k = 0; k < n; k++) {
      worst = Math.max(worst, Math.abs(Math.hypot(re[k], im[k]) - 1));
    }
    assertThat(worst).isLessThan(1e-14);
  }
}
