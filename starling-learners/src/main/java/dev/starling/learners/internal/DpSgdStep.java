package dev.starling.learners.internal;

import dev.starling.core.random.RandomSource;

/**
 * One DP-SGD step (Abadi et al. 2016, Algorithm 1): for each example of the batch, the gradient of its
 * loss alone (a backward pass of one row), scaled to L2 norm at most C; their sum plus
 * {@code N(0, (z C)^2)} per coordinate, divided by the nominal batch size, goes to the optimiser as the
 * batch gradient. Costs one forward-backward pass per example instead of one per batch.
 * One instance serves one fit; not thread-safe.
 */
public final class DpSgdStep {
  private final int[] sizes;
  private final Network single;
  private final DenseParams grad;
  private final DenseParams sum;
  private final int[] label = new int[1];
  private final double clip;
  private final double std;
  private final int batchSize;
  private final RandomSource noise;
  private long clipped;
  private long examples;

  /** A step for level sizes {@code sizes}, nominal batch size B, clip C and noise multiplier z. */
  public DpSgdStep(int[] sizes, int batchSize, double clip, double noiseMultiplier, RandomSource noise) {
    this.sizes = sizes.clone();
    this.single = new Network(sizes, 1);
    this.grad = DenseParams.zeros(sizes);
    this.sum = DenseParams.zeros(sizes);
    this.batchSize = batchSize;
    this.clip = clip;
    this.std = noiseMultiplier * clip;
    this.noise = noise;
  }

  /**
   * Trains on the first {@code n} rows of {@code rows}/{@code labels} and hands the noisy mean gradient
   * to {@code sink}; returns the summed loss of the rows (before the step).
   */
  public double step(DenseParams params, float[][] rows, int[] labels, int n, GradientSink sink) {
    sum.clear();
    double loss = 0;
    int in = sizes[0];
    float[] input = single.inputRows()[0];
    for (int r = 0; r < n; r++) {
      System.arraycopy(rows[r], 0, input, 0, in);
      label[0] = labels[r];
      grad.clear();
      loss += single.forwardBackward(params, label, 1, grad);
      double norm = Math.sqrt(squaredNorm(grad));
      float scale = norm > clip ? (float) (clip / norm) : 1f;
      if (norm > clip) {
        clipped++;
      }
      for (int l = 0; l < grad.w.length; l++) {
        for (int i = 0; i < grad.w[l].length; i++) {
          Kernels.axpy(scale, grad.w[l][i], sum.w[l][i], grad.w[l][i].length);
        }
        Kernels.axpy(scale, grad.b[l], sum.b[l], grad.b[l].length);
      }
    }
    examples += n;
    float inv = 1f / batchSize;
    for (int l = sum.w.length - 1; l >= 0; l--) {
      float[] b = sum.b[l];
      noisyMean(b, inv);
      sink.bias(l, b);
      for (int i = 0; i < sum.w[l].length; i++) {
        float[] row = sum.w[l][i];
        noisyMean(row, inv);
        sink.weightRow(l, i, row);
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
    for (int j = 0; j < x.length; j++) {
      x[j] = (float) ((x[j] + std * noise.nextGaussian()) * inv);
    }
  }

  private static double squaredNorm(DenseParams g) {
    double s = 0;
    for (int l = 0; l < g.w.length; l++) {
      for (float[] row : g.w[l]) {
        for (float v : row) {
          s += (double) v * v;
        }
      }
      for (float v : g.b[l]) {
        s += (double) v * v;
      }
    }
    return s;
  }
}
