package dev.starling.learners.internal;

import dev.starling.core.error.Checks;
import java.util.Arrays;

/**
 * Forward and backward passes of a dense ReLU network with a softmax cross-entropy output, over a
 * mini-batch of at most {@link #capacity()} rows.
 *
 * <p>For layer {@code l} with input rows {@code a} and weights {@code W} ({@code [in, out]}):
 * {@code z = a W + b}, hidden layers apply ReLU, and backpropagation gives {@code dW = a^T dz},
 * {@code db = sum_r dz[r]} and {@code da = (dz W^T) * relu'(z_below)}. All products are sums of scaled
 * rows ({@link Kernels#accRow}); {@code a^T} and {@code W^T} are transposed copies made per batch, far
 * cheaper than the scalar dot products the direct form would need. Weight-gradient rows go to a
 * {@link GradientSink} as they are completed, so SGD can apply them while they are in cache.
 *
 * <p>All workspaces are allocated in the constructor; passes allocate nothing. Not thread-safe.
 */
public final class Network {
  /** Weight-gradient rows computed together, so the batch's dz rows are reused from L1 across them. */
  private static final int CHUNK = 16;

  private final int[] sizes;
  private final int layers;
  private final int capacity;
  /** act[0]: input rows; act[l], 0 < l < layers: post-ReLU rows; act[layers]: logit rows. */
  private final float[][][] act;
  /** grad[l], l >= 1: rows of the gradient of the mean batch loss with respect to layer l's pre-activations. */
  private final float[][][] grad;
  /** weightT[l], l >= 1: W_l transposed, [out][in]. */
  private final float[][][] weightT;
  /** The transposed input of the current layer, [in][capacity]. */
  private final float[][] inputT;
  /** scratch[l]: CHUNK gradient rows of layer l. */
  private final float[][][] scratch;
  private final int[] idx;
  private final float[] val;

  /** A network with level sizes {@code [in, h1, ..., classes]} for batches of up to {@code capacity} rows. */
  public Network(int[] sizes, int capacity) {
    this(sizes, capacity, false);
  }

  /**
   * A network as {@link #Network(int[], int)} that, with {@code inputGradient}, also computes the gradient of
   * the loss with respect to its input rows ({@link #inputGradientRows()}): what a split network's top model
   * sends back to the bottom models.
   */
  public Network(int[] sizes, int capacity, boolean inputGradient) {
    Checks.checkArgument(sizes.length >= 2, "sizes.length", ">= 2", sizes.length);
    this.capacity = Checks.checkPositive(capacity, "capacity");
    this.sizes = sizes.clone();
    this.layers = sizes.length - 1;
    this.act = new float[layers + 1][][];
    this.grad = new float[layers + 1][][];
    this.weightT = new float[layers][][];
    this.scratch = new float[layers][][];
    int widest = capacity;
    int widestInput = 1;
    for (int l = 0; l <= layers; l++) {
      act[l] = new float[capacity][sizes[l]];
      widest = Math.max(widest, sizes[l]);
      if (l > 0) {
        grad[l] = new float[capacity][sizes[l]];
      }
      if (l > 0 && l < layers) {
        weightT[l] = new float[sizes[l + 1]][sizes[l]];
      }
      if (l < layers) {
        scratch[l] = new float[CHUNK][sizes[l + 1]];
        widestInput = Math.max(widestInput, sizes[l]);
      }
    }
    if (inputGradient) {
      grad[0] = new float[capacity][sizes[0]];
      weightT[0] = new float[sizes[1]][sizes[0]];
    }
    this.inputT = new float[widestInput][capacity];
    this.idx = new int[widest];
    this.val = new float[widest];
  }

  /** The most rows one pass takes. */
  public int capacity() {
    return capacity;
  }

  /** Input rows to fill before a pass ({@code capacity x numFeatures}). */
  public float[][] inputRows() {
    return act[0];
  }

  /** Logit rows of the last forward pass. */
  public float[][] logitRows() {
    return act[layers];
  }

  /**
   * Rows of the gradient of the loss with respect to the outputs: a caller with its own loss fills them after
   * {@link #forward} and then calls {@link #backward}.
   */
  public float[][] outputGradientRows() {
    return grad[layers];
  }

  /** Rows of the gradient with respect to the input rows of the last backward pass (needs {@code inputGradient}). */
  public float[][] inputGradientRows() {
    if (grad[0] == null) {
      throw new IllegalStateException("this network was built without inputGradient");
    }
    return grad[0];
  }

  /** Computes the logits of the first {@code n} input rows. */
  public void forward(DenseParams p, int n) {
    if (n < 0 || n > capacity) {
      throw new IllegalArgumentException("batch rows must be in [0, " + capacity + "]. Provided value: " + n);
    }
    for (int l = 0; l < layers; l++) {
      int out = sizes[l + 1];
      float[][] z = act[l + 1];
      for (int r = 0; r < n; r++) {
        System.arraycopy(p.b[l], 0, z[r], 0, out);
      }
      Kernels.gemmAcc(act[l], 0, p.w[l], z, n, sizes[l], out, idx, val);
      if (l + 1 < layers) {
        for (int r = 0; r < n; r++) {
          Kernels.relu(z[r], out);
        }
      }
    }
  }

  /**
   * A forward and backward pass of the mean cross-entropy of the first {@code n} input rows with
   * labels {@code y[0..n)}; adds the gradient of the mean loss to {@code g} and returns the summed, not
   * mean, loss of the rows.
   */
  public double forwardBackward(DenseParams p, int[] y, int n, DenseParams g) {
    return backprop(p, y, n, GradientSink.accumulateInto(g));
  }

  /**
   * A forward and backward pass of the mean cross-entropy of the first {@code n} input rows with
   * labels {@code y[0..n)}, handing the gradient of the mean loss to {@code sink} from the top layer
   * down. The sink may update a layer's parameters in {@code p} as soon as it receives them: the pass
   * has finished reading them by then. Returns the summed, not mean, loss of the rows.
   */
  public double backprop(DenseParams p, int[] y, int n, GradientSink sink) {
    forward(p, n);
    int k = sizes[layers];
    float inv = 1f / n;
    double loss = 0;
    for (int r = 0; r < n; r++) {
      loss += Kernels.softmaxCrossEntropy(act[layers][r], k, y[r], inv, grad[layers][r]);
    }
    backward(p, n, sink);
    return loss;
  }

  /**
   * A forward and backward pass of the mean squared error {@code (z - t)^2} of the first {@code n} input rows
   * of a network with one output, for targets {@code t[0..n)}, handing the gradient of the mean loss to
   * {@code sink} as {@link #backprop(DenseParams, int[], int, GradientSink)} does. Returns the summed loss.
   */
  public double backpropSquaredError(DenseParams p, float[] t, int n, GradientSink sink) {
    if (sizes[layers] != 1) {
      throw new IllegalStateException("squared error needs one output unit; this network has " + sizes[layers]);
    }
    forward(p, n);
    float scale = 2f / n;
    double loss = 0;
    for (int r = 0; r < n; r++) {
      float e = act[layers][r][0] - t[r];
      loss += (double) e * e;
      grad[layers][r][0] = scale * e;
    }
    backward(p, n, sink);
    return loss;
  }

  /**
   * Backpropagates the {@link #outputGradientRows()} of the first {@code n} rows through the layers of the
   * last {@link #forward} pass, handing the parameter gradient to {@code sink} as {@link #backprop} does.
   */
  public void backward(DenseParams p, int n, GradientSink sink) {
    for (int l = layers - 1; l >= 0; l--) {
      int in = sizes[l];
      int out = sizes[l + 1];
      float[][] a = act[l];
      float[][] dz = grad[l + 1];
      if (l > 0 || grad[0] != null) {
        Kernels.transpose(p.w[l], weightT[l], in, out);
      }
      float[][] rows = scratch[l];
      Arrays.fill(rows[0], 0f);
      for (int r = 0; r < n; r++) {
        Kernels.axpy(1f, dz[r], rows[0], out);
      }
      sink.bias(l, rows[0]);
      Kernels.transpose(a, inputT, n, in);
      for (int i0 = 0; i0 < in; i0 += CHUNK) {
        int chunk = Math.min(CHUNK, in - i0);
        for (int c = 0; c < chunk; c++) {
          Arrays.fill(rows[c], 0f);
        }
        Kernels.gemmAcc(inputT, i0, dz, rows, chunk, n, out, idx, val);
        for (int c = 0; c < chunk; c++) {
          sink.weightRow(l, i0 + c, rows[c]);
        }
      }
      if (l > 0) {
        float[][] da = grad[l];
        for (int r = 0; r < n; r++) {
          Arrays.fill(da[r], 0f);
        }
        Kernels.gemmAcc(dz, 0, weightT[l], da, n, out, in, idx, val);
        for (int r = 0; r < n; r++) {
          float[] ar = a[r];
          float[] dr = da[r];
          for (int i = 0; i < in; i++) {
            dr[i] = ar[i] > 0f ? dr[i] : 0f;
          }
        }
      } else if (grad[0] != null) {
        float[][] da = grad[0];
        for (int r = 0; r < n; r++) {
          Arrays.fill(da[r], 0f);
        }
        Kernels.gemmAcc(dz, 0, weightT[0], da, n, out, in, idx, val);
      }
    }
  }
}
