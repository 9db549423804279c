package dev.starling.learners.internal;

import dev.starling.core.random.RandomSource;
import dev.starling.privacy.dp.GaussianNoise;
import dev.starling.privacy.dp.Updates;

/**
 * One DP-SGD step (Abadi et al. 2016, Algorithm 1): for each example of the batch, the gradient of its
 * loss alone (a backward pass of one row), scaled to L2 norm at most C; their sum plus
 * {@code N(0, (z C)^2)} per coordinate, divided by the nominal batch size, goes to the optimiser as the
 * batch gradient. Costs one forward-backward pass per example instead of one per batch. Clipping is
 * privacy's one clip rule ({@link Updates#clipFactor}) and the noise its one mechanism ({@link GaussianNoise}:
 * discrete Gaussian on a grid); the per-example gradients are summed in float32 and the accounting treats
 * that sum as exact, as Opacus and TensorFlow Privacy do.
 *
 * <p>It talks to the network only through {@link Network#backprop} and {@link GradientSink}, keeping its
 * own per-example and sum buffers, so it does not depend on how {@link DenseParams} stores parameters.
 * One instance serves one fit; not thread-safe.
 */
public final class DpSgdStep {
  private final int[] sizes;
  private final Network single;
  private final float[][][] gradW;
  private final float[][] gradB;
  private final float[][][] sumW;
  private final float[][] sumB;
  private final int[] label = new int[1];
  private final double clip;
  private final GaussianNoise mechanism;
  private final int batchSize;
  private final RandomSource noise;
  private final GradientSink collect;
  private long clipped;
  private long examples;

  /** A step for level sizes {@code sizes}, nominal batch size B, clip C and noise multiplier z. */
  public DpSgdStep(int[] sizes, int batchSize, double clip, double noiseMultiplier, RandomSource noise) {
    this.sizes = sizes.clone();
    this.single = new Network(sizes, 1);
    int layers = sizes.length - 1;
    gradW = new float[layers][][];
    gradB = new float[layers][];
    sumW = new float[layers][][];
    sumB = new float[layers][];
    for (int l = 0; l < layers; l++) {
      gradW[l] = new float[sizes[l]][sizes[l + 1]];
      sumW[l] = new float[sizes[l]][sizes[l + 1]];
      gradB[l] = new float[sizes[l + 1]];
      sumB[l] = new float[sizes[l + 1]];
    }
    this.batchSize = batchSize;
    this.clip = clip;
    long dimension = 0;
    for (int l = 0; l < layers; l++) {
      dimension += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
    }
    this.mechanism = GaussianNoise.of(clip, noiseMultiplier, dimension);
    this.noise = noise;
    this.collect = new GradientSink() {
      @Override
      public void weightRow(int layer, int row, float[] gradient) {
        System.arraycopy(gradient, 0, gradW[layer][row], 0, gradW[layer][row].length);
      }

      @Override
      public void bias(int layer, float[] gradient) {
        System.arraycopy(gradient, 0, gradB[layer], 0, gradB[layer].length);
      }
    };
  }

  /**
   * Trains on the first {@code n} rows of {@code rows}/{@code labels} and hands the noisy mean gradient
   * to {@code sink}; returns the summed loss of the rows (before the step).
   */
  public double step(DenseParams params, float[][] rows, int[] labels, int n, GradientSink sink) {
    for (int l = 0; l < sumW.length; l++) {
      for (float[] row : sumW[l]) {
        java.util.Arrays.fill(row, 0f);
      }
      java.util.Arrays.fill(sumB[l], 0f);
    }
    double loss = 0;
    float[] input = single.inputRows()[0];
    for (int r = 0; r < n; r++) {
      System.arraycopy(rows[r], 0, input, 0, sizes[0]);
      label[0] = labels[r];
      loss += single.backprop(params, label, 1, collect);
      double norm = Math.sqrt(squaredNorm());
      float scale = (float) Updates.clipFactor(norm, clip);
      if (norm > clip) {
        clipped++;
      }
      for (int l = 0; l < gradW.length; l++) {
        for (int i = 0; i < gradW[l].length; i++) {
          axpy(scale, gradW[l][i], sumW[l][i]);
        }
        axpy(scale, gradB[l], sumB[l]);
      }
    }
    examples += n;
    float inv = 1f / batchSize;
    for (int l = sumW.length - 1; l >= 0; l--) {
      noisyMean(sumB[l], inv);
      sink.bias(l, sumB[l]);
      for (int i = 0; i < sumW[l].length; i++) {
        noisyMean(sumW[l][i], inv);
        sink.weightRow(l, i, sumW[l][i]);
      }
    }
    return loss;
  }

  /** Examples whose gradient was clipped so far. */
  public long clipped() {
    return clipped;
  }

  /** Examples seen so far. */
  public long examples() {
    return examples;
  }

  private void noisyMean(float[] x, float inv) {
    mechanism.addTo(x, noise);
    for (int j = 0; j < x.length; j++) {
      x[j] *= inv;
    }
  }

  private static void axpy(float a, float[] x, float[] y) {
    for (int j = 0; j < y.length; j++) {
      y[j] += a * x[j];
    }
  }

  private double squaredNorm() {
    double s = 0;
    for (int l = 0; l < gradW.length; l++) {
      for (float[] row : gradW[l]) {
        for (float v : row) {
          s += (double) v * v;
        }
      }
      for (float v : gradB[l]) {
        s += (double) v * v;
      }
    }
    return s;
  }
}
