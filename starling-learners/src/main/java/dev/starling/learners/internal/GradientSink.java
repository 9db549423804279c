package dev.starling.learners.internal;

/**
 * Receives the gradient of a batch loss piece by piece as {@link Network#backprop} completes it, so an
 * optimiser can update each weight row while it is in cache instead of storing a full gradient.
 * The arrays passed are scratch, valid only during the call.
 */
public interface GradientSink {
  /** The gradient of row {@code row} of layer {@code layer}'s weight matrix. */
  void weightRow(int layer, int row, float[] gradient);

  /** The gradient of layer {@code layer}'s bias. */
  void bias(int layer, float[] gradient);

  /** A sink that adds the gradient to {@code g}. */
  static GradientSink accumulateInto(DenseParams g) {
    return new GradientSink() {
      @Override
      public void weightRow(int layer, int row, float[] gradient) {
        Kernels.axpy(1f, gradient, g.w[layer][row], gradient.length);
      }

      @Override
      public void bias(int layer, float[] gradient) {
        Kernels.axpy(1f, gradient, g.b[layer], gradient.length);
      }
    };
  }
}
