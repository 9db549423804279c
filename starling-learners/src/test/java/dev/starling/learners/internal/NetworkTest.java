package dev.starling.learners.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Checks the analytic gradients of {@link Network} against central finite differences of an
 * independent double-precision reference of the mean cross-entropy.
 */
class NetworkTest {
  @Test
  void forwardBackward_tinyMlp_matchesFiniteDifferences() {
    // Odd sizes exercise every remainder path of the four-row kernels.
    checkGradient(new int[] {7, 6, 5, 3}, 5, 1, Integer.MAX_VALUE);
  }

  @Test
  void forwardBackward_logreg_matchesFiniteDifferences() {
    checkGradient(new int[] {6, 3}, 4, 2, Integer.MAX_VALUE);
  }

  @Test
  void forwardBackward_mlpWiderThanKernelBlocks_matchesFiniteDifferences() {
    // 45 inputs span several k-blocks of 300-wide rows and several 16-row gradient chunks.
    checkGradient(new int[] {45, 300, 3}, 9, 3, 400);
  }

  @Test
  void forward_sameInputs_matchesReferenceLogits() {
    int[] sizes = {9, 8, 4};
    SplittableRandom rnd = new SplittableRandom(5);
    DenseParams p = randomParams(sizes, rnd);
    Network net = new Network(sizes, 3);
    double[][] x = randomInputs(net, 3, sizes[0], rnd);

    net.forward(p, 3);

    for (int r = 0; r < 3; r++) {
      double[] expected = referenceLogits(p, x[r]);
      for (int j = 0; j < 4; j++) {
        assertThat((double) net.logitRows()[r][j]).isCloseTo(expected[j], within(1e-5));
      }
    }
  }

  @Test
  void backprop_sgdSink_equalsGradientThenStep() {
    int[] sizes = {5, 4, 3};
    SplittableRandom rnd = new SplittableRandom(9);
    DenseParams p = randomParams(sizes, rnd);
    DenseParams q = DenseParams.zeros(sizes);
    copy(p, q);
    Network net = new Network(sizes, 4);
    randomInputs(net, 4, 5, rnd);
    int[] y = {0, 2, 1, 1};
    DenseParams g = DenseParams.zeros(sizes);

    double lossA = net.forwardBackward(q, y, 4, g);
    double lossB = net.backprop(p, y, 4, new Sgd(0.5, 0, 0, 0, p, null, null));

    assertThat(lossB).isEqualTo(lossA);
    for (int l = 0; l < 2; l++) {
      for (int i = 0; i < sizes[l]; i++) {
        for (int j = 0; j < sizes[l + 1]; j++) {
          assertThat(p.w[l][i][j]).isEqualTo(q.w[l][i][j] - 0.5f * g.w[l][i][j]);
        }
      }
    }
  }

  @Test
  void backward_inputGradient_matchesFiniteDifferencesOfTheInput() {
    int[] sizes = {6, 5, 3};
    SplittableRandom rnd = new SplittableRandom(11);
    DenseParams p = randomParams(sizes, rnd);
    Network net = new Network(sizes, 4, true);
    double[][] x = randomInputs(net, 4, 6, rnd);
    int[] y = {0, 2, 1, 1};

    net.forwardBackward(p, y, 4, DenseParams.zeros(sizes));

    for (int r = 0; r < 4; r++) {
      for (int i = 0; i < 6; i++) {
        double saved = x[r][i];
        double h = 1e-5;
        x[r][i] = saved + h;
        double up = referenceLoss(p, x, y);
        x[r][i] = saved - h;
        double down = referenceLoss(p, x, y);
        x[r][i] = saved;
        assertGradient(net.inputGradientRows()[r][i], (up - down) / (2 * h), "dx[" + r + "][" + i + "]");
      }
    }
  }

  @Test
  void backward_callerOutputGradient_equalsBackpropOfTheSameGradient() {
    int[] sizes = {5, 4, 3};
    SplittableRandom rnd = new SplittableRandom(12);
    DenseParams p = randomParams(sizes, rnd);
    Network net = new Network(sizes, 3);
    randomInputs(net, 3, 5, rnd);
    int[] y = {1, 0, 2};
    DenseParams viaLoss = DenseParams.zeros(sizes);
    net.forwardBackward(p, y, 3, viaLoss);
    float[][] dz = new float[3][];
    for (int r = 0; r < 3; r++) {
      dz[r] = net.outputGradientRows()[r].clone();
    }
    DenseParams viaCaller = DenseParams.zeros(sizes);

    net.forward(p, 3);
    for (int r = 0; r < 3; r++) {
      System.arraycopy(dz[r], 0, net.outputGradientRows()[r], 0, 3);
    }
    net.backward(p, 3, GradientSink.accumulateInto(viaCaller));

    for (int l = 0; l < 2; l++) {
      for (int i = 0; i < sizes[l]; i++) {
        assertThat(viaCaller.w[l][i]).containsExactly(viaLoss.w[l][i]);
      }
      assertThat(viaCaller.b[l]).containsExactly(viaLoss.b[l]);
    }
  }

  @Test
  void logSumExp_largeLogits_isFiniteAndExact() {
    assertThat(Kernels.logSumExp(new float[] {1000f, 0f, -1000f}, 3)).isEqualTo(1000.0);
    assertThat(Kernels.logSumExp(new float[] {-1000f, -1000f}, 2)).isCloseTo(-1000 + Math.log(2), within(1e-9));
    assertThat(Kernels.logSumExp(new float[] {Float.NaN, 0f}, 2)).isNaN();
  }

  @Test
  void softmaxCrossEntropy_largeLogits_finiteLossAndGradient() {
    float[] dz = new float[3];

    double loss = Kernels.softmaxCrossEntropy(new float[] {3000f, -3000f, 0f}, 3, 1, 1f, dz);

    assertThat(loss).isEqualTo(6000.0);
    assertThat(dz).containsExactly(1f, -1f, 0f);
  }

  private static void checkGradient(int[] sizes, int n, long seed, int maxChecks) {
    SplittableRandom rnd = new SplittableRandom(seed);
    DenseParams p = randomParams(sizes, rnd);
    Network net = new Network(sizes, n);
    double[][] x = randomInputs(net, n, sizes[0], rnd);
    int k = sizes[sizes.length - 1];
    int[] y = new int[n];
    for (int r = 0; r < n; r++) {
      y[r] = rnd.nextInt(k);
    }
    DenseParams g = DenseParams.zeros(sizes);

    double lossSum = net.forwardBackward(p, y, n, g);

    assertThat(lossSum / n).isCloseTo(referenceLoss(p, x, y), within(1e-5));
    int checked = 0;
    for (int l = 0; l < sizes.length - 1; l++) {
      for (int i = 0; i < sizes[l] && checked < maxChecks; i++) {
        for (int j = 0; j < sizes[l + 1] && checked < maxChecks; j++, checked++) {
          float[] row = p.w[l][i];
          assertGradient(g.w[l][i][j], numeric(p, row, j, x, y), "w" + l + "[" + i + "][" + j + "]");
        }
      }
      for (int j = 0; j < sizes[l + 1]; j++) {
        assertGradient(g.b[l][j], numeric(p, p.b[l], j, x, y), "b" + l + "[" + j + "]");
      }
    }
  }

  private static void assertGradient(float analytic, double numeric, String what) {
    assertThat((double) analytic).as(what).isCloseTo(numeric, within(1e-4 + 1e-3 * Math.abs(numeric)));
  }

  /**
   * Central difference of the reference loss in the parameter {@code values[j]}. The step is small so
   * that, for these fixed seeds, no perturbation pushes a hidden unit across its ReLU kink.
   */
  private static double numeric(DenseParams p, float[] values, int j, double[][] x, int[] y) {
    float saved = values[j];
    double h = 1e-4;
    values[j] = (float) (saved + h);
    double up = referenceLoss(p, x, y);
    values[j] = (float) (saved - h);
    double down = referenceLoss(p, x, y);
    double step = (double) (float) (saved + h) - (double) (float) (saved - h);
    values[j] = saved;
    return (up - down) / step;
  }

  private static double referenceLoss(DenseParams p, double[][] x, int[] y) {
    double sum = 0;
    for (int r = 0; r < x.length; r++) {
      double[] z = referenceLogits(p, x[r]);
      double max = Double.NEGATIVE_INFINITY;
      for (double v : z) {
        max = Math.max(max, v);
      }
      double s = 0;
      for (double v : z) {
        s += Math.exp(v - max);
      }
      sum += max + Math.log(s) - z[y[r]];
    }
    return sum / x.length;
  }

  private static double[] referenceLogits(DenseParams p, double[] input) {
    double[] a = input;
    int layers = p.numLayers();
    for (int l = 0; l < layers; l++) {
      int out = p.b[l].length;
      double[] z = new double[out];
      for (int j = 0; j < out; j++) {
        z[j] = p.b[l][j];
        for (int i = 0; i < a.length; i++) {
          z[j] += a[i] * p.w[l][i][j];
        }
        if (l + 1 < layers) {
          z[j] = Math.max(0, z[j]);
        }
      }
      a = z;
    }
    return a;
  }

  private static DenseParams randomParams(int[] sizes, SplittableRandom rnd) {
    DenseParams p = DenseParams.zeros(sizes);
    for (int l = 0; l < sizes.length - 1; l++) {
      double scale = 1.5 / Math.sqrt(sizes[l]);
      for (float[] row : p.w[l]) {
        for (int j = 0; j < row.length; j++) {
          row[j] = (float) ((2 * rnd.nextDouble() - 1) * scale);
        }
      }
      for (int j = 0; j < p.b[l].length; j++) {
        p.b[l][j] = (float) (0.2 * rnd.nextDouble() - 0.1);
      }
    }
    return p;
  }

  /** Fills the network's input rows (about a fifth exact zeros) and returns them as doubles. */
  private static double[][] randomInputs(Network net, int n, int in, SplittableRandom rnd) {
    double[][] x = new double[n][in];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < in; i++) {
        float v = rnd.nextInt(5) == 0 ? 0f : (float) (2 * rnd.nextDouble() - 1);
        net.inputRows()[r][i] = v;
        x[r][i] = v;
      }
    }
    return x;
  }

  private static void copy(DenseParams from, DenseParams to) {
    for (int l = 0; l < from.numLayers(); l++) {
      for (int i = 0; i < from.w[l].length; i++) {
        System.arraycopy(from.w[l][i], 0, to.w[l][i], 0, from.w[l][i].length);
      }
      System.arraycopy(from.b[l], 0, to.b[l], 0, from.b[l].length);
    }
  }
}
