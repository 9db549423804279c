package dev.starling.learners.submodel;

import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;

/**
 * Per-neuron Fisher information of an MLP on a client's data: the Fisher pruning signal of Theis,
 * Korshunova, Tejani and Huszár ("Faster gaze prediction with dense networks and Fisher pruning", 2018),
 * {@code Delta_j = 1/(2N) sum_n (a_nj g_nj)^2}, where {@code a_nj} is hidden unit j's (ReLU) activation on
 * example n and {@code g_nj = dL_n / da_nj} the gradient of the example's cross-entropy with respect to
 * it. It is the empirical-Fisher estimate of how much the loss grows if the unit is removed, so keeping
 * the units of highest {@code Delta} keeps the sub-model that loses least on this client's data.
 *
 * <p>One forward and backward pass per example (per-example gradients are what the Fisher needs),
 * over at most {@code maxRows} rows drawn without replacement. Stateless.
 */
public final class FisherScores {
  private FisherScores() {}

  /** {@code Delta} per hidden unit: {@code [layer][unit]}; empty for {@code logreg}. */
  public static double[][] compute(ModelSpec spec, ParameterSet params, Dataset data, int maxRows, RandomSource rng) {
    int[] sizes = spec.layerSizes(data.numFeatures(), data.numClasses());
    int layers = sizes.length - 1;
    int hidden = layers - 1;
    double[][] score = new double[hidden][];
    for (int l = 0; l < hidden; l++) {
      score[l] = new double[sizes[l + 1]];
    }
    if (hidden == 0 || data.size() == 0) {
      return score;
    }
    float[][] w = new float[layers][];
    float[][] b = new float[layers][];
    for (int l = 0; l < layers; l++) {
      w[l] = params.get(ModelSpec.weightName(l)).data();
      b[l] = params.get(ModelSpec.biasName(l)).data();
    }
    int n = data.size();
    int rows = Math.min(n, maxRows);
    int[] order = rng.permutation(n);
    float[] x = data.features();
    int[] y = data.labels();
    int in = data.numFeatures();
    double[][] act = new double[layers + 1][];
    double[][] grad = new double[layers + 1][];
    for (int l = 0; l <= layers; l++) {
      act[l] = new double[sizes[l]];
      grad[l] = new double[sizes[l]];
    }
    for (int r = 0; r < rows; r++) {
      int row = order[r];
      for (int i = 0; i < in; i++) {
        act[0][i] = x[row * in + i];
      }
      for (int l = 0; l < layers; l++) {
        int nin = sizes[l];
        int nout = sizes[l + 1];
        double[] a = act[l];
        double[] z = act[l + 1];
        for (int o = 0; o < nout; o++) {
          z[o] = b[l][o];
        }
        for (int i = 0; i < nin; i++) {
          double ai = a[i];
          if (ai == 0) {
            continue;
          }
          int base = i * nout;
          for (int o = 0; o < nout; o++) {
            z[o] += ai * w[l][base + o];
          }
        }
        if (l < layers - 1) {
          for (int o = 0; o < nout; o++) {
            z[o] = Math.max(0, z[o]);
          }
        }
      }
      // softmax cross-entropy: dL/dlogits = p - onehot(y)
      double[] logits = act[layers];
      double max = Double.NEGATIVE_INFINITY;
      for (double v : logits) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (int c = 0; c < logits.length; c++) {
        grad[layers][c] = Math.exp(logits[c] - max);
        sum += grad[layers][c];
      }
      for (int c = 0; c < logits.length; c++) {
        grad[layers][c] /= sum;
      }
      grad[layers][y[row]] -= 1;
      for (int l = layers - 1; l >= 1; l--) {
        // gradient w.r.t. the activations of level l (hidden layer l-1), through layer l's weights
        int nin = sizes[l];
        int nout = sizes[l + 1];
        double[] gOut = grad[l + 1];
        double[] g = grad[l];
        for (int i = 0; i < nin; i++) {
          double s = 0;
          int base = i * nout;
          for (int o = 0; o < nout; o++) {
            s += w[l][base + o] * gOut[o];
          }
          g[i] = s;
          double t = act[l][i] * s;
          score[l - 1][i] += t * t;
          if (act[l][i] <= 0) {
            g[i] = 0; // ReLU: no gradient flows to the pre-activation
          }
        }
      }
    }
    for (double[] s : score) {
      for (int j = 0; j < s.length; j++) {
        s[j] /= 2.0 * rows;
      }
    }
    return score;
  }
}
