package dev.starling.vertical.splitnn;

import dev.starling.core.random.RandomSource;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.internal.DenseParams;
import dev.starling.learners.internal.Network;
import dev.starling.learners.internal.Sgd;
import dev.starling.vertical.ColumnBlock;

/**
 * A dense ReLU network with its parameters and plain SGD, on learners' forward/backward code
 * ({@link Network}, {@link DenseParams}, {@link Sgd}; initialisation from {@link ModelSpec}): a split network's
 * bottom or top model, or the centralised baseline. Batches of at most {@code capacity} rows. Not thread-safe.
 */
final class Mlp {
  final int[] sizes;
  final Network net;
  final DenseParams params;
  private final double lr;
  private final double l2;

  /**
   * A network {@code [in, hidden..., out]} initialised from {@code rng}; {@code inputGradient}: also compute
   * the gradient with respect to the input (a top model).
   */
  Mlp(int in, int[] hidden, int out, int capacity, boolean inputGradient, double lr, double l2, RandomSource rng) {
    ModelSpec spec = hidden.length == 0 ? ModelSpec.logreg() : ModelSpec.mlp(hidden);
    this.sizes = spec.layerSizes(in, out);
    this.net = new Network(sizes, capacity, inputGradient);
    this.params = DenseParams.copyOf(spec, sizes, spec.initialize(in, out, rng));
    this.lr = lr;
    this.l2 = l2;
  }

  /** Copies rows {@code rows[0..n)} of {@code x} into the input. */
  void load(ColumnBlock x, int[] rows, int n) {
    float[][] in = net.inputRows();
    for (int i = 0; i < n; i++) {
      System.arraycopy(x.x(), rows[i] * x.cols(), in[i], 0, x.cols());
    }
  }

  /** Forward pass of the loaded rows; returns the output rows (ReLU applied when {@code relu}). */
  float[][] forward(int n, boolean relu) {
    net.forward(params, n);
    float[][] out = net.logitRows();
    if (relu) {
      for (int r = 0; r < n; r++) {
        float[] o = out[r];
        for (int k = 0; k < o.length; k++) {
          o[k] = Math.max(0f, o[k]);
        }
      }
    }
    return out;
  }

  /**
   * Backward pass from a gradient {@code g} (row-major, n rows of the output width) with respect to the
   * ReLU'd outputs of the last {@link #forward}, and an SGD step.
   */
  void backwardRelu(float[] g, int n) {
    int w = sizes[sizes.length - 1];
    float[][] out = net.logitRows();
    float[][] dz = net.outputGradientRows();
    for (int r = 0; r < n; r++) {
      for (int k = 0; k < w; k++) {
        dz[r][k] = out[r][k] > 0f ? g[r * w + k] : 0f;
      }
    }
    net.backward(params, n, sgd());
  }

  /** Softmax cross-entropy forward and backward of the loaded rows with labels {@code y}, and an SGD step. */
  double trainStep(int[] y, int n) {
    return net.backprop(params, y, n, sgd());
  }

  private Sgd sgd() {
    return new Sgd(lr, 0, l2, 0, params, null, null);
  }

  /** P(class 1) of the loaded rows after {@link #forward}: softmax of two logits. */
  static float probabilityOfOne(float[] logits) {
    return (float) (1 / (1 + Math.exp(logits[0] - logits[1])));
  }
}
