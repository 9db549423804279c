package dev.starling.learners.internal;

/**
 * The SGD update with heavy-ball momentum, L2 weight decay and the FedProx proximal term, applied in
 * place to {@code params} as the gradient arrives from {@link Network#backprop}. For every parameter,
 * with gradient {@code g}:
 * <pre>
 *   d = g + correction + decay * w [weights only] + mu * (w - anchor)
 *   v = momentum * v + d;  w -= lr * v      (with momentum)
 *   w -= lr * d                             (without)
 * </pre>
 * One instance serves one fit; not thread-safe.
 */
public final class Sgd implements GradientSink {
  private final float lr;
  private final float momentum;
  private final float decay;
  private final float mu;
  private final DenseParams params;
  private final DenseParams velocity;
  private final DenseParams anchor;
  private DenseParams correction;

  /**
   * Updates {@code params}; {@code velocity} (zeroed by the caller) is null without momentum and
   * {@code anchor} (the global model) null without a proximal term.
   */
  public Sgd(double lr, double momentum, double decay, double mu, DenseParams params, DenseParams velocity,
      DenseParams anchor) {
    this.lr = (float) lr;
    this.momentum = (float) momentum;
    this.decay = (float) decay;
    this.mu = (float) mu;
    this.params = params;
    this.velocity = velocity;
    this.anchor = anchor;
  }

  /**
   * Adds a constant {@code correction} to every gradient (SCAFFOLD's {@code c - c_i}; Karimireddy et al.
   * 2020); null for none.
   */
  public Sgd withCorrection(DenseParams c) {
    this.correction = c;
    return this;
  }

  @Override
  public void weightRow(int layer, int row, float[] gradient) {
    if (correction != null) {
      addInto(gradient, correction.w[layer][row]);
    }
    update(params.w[layer][row], gradient, velocity == null ? null : velocity.w[layer][row],
        anchor == null ? null : anchor.w[layer][row], decay);
  }

  @Override
  public void bias(int layer, float[] gradient) {
    if (correction != null) {
      addInto(gradient, correction.b[layer]);
    }
    update(params.b[layer], gradient, velocity == null ? null : velocity.b[layer],
        anchor == null ? null : anchor.b[layer], 0f);
  }

  private static void addInto(float[] g, float[] c) {
    for (int j = 0; j < c.length; j++) {
      g[j] += c[j];
    }
  }

  private void update(float[] w, float[] g, float[] v, float[] a, float dec) {
    int len = w.length;
    float m = momentum;
    float p = mu;
    float r = lr;
    if (a == null && v == null) {
      for (int j = 0; j < len; j++) {
        w[j] -= r * (g[j] + dec * w[j]);
      }
    } else if (a == null) {
      for (int j = 0; j < len; j++) {
        float vj = m * v[j] + (g[j] + dec * w[j]);
        v[j] = vj;
        w[j] -= r * vj;
      }
    } else if (v == null) {
      for (int j = 0; j < len; j++) {
        w[j] -= r * (g[j] + dec * w[j] + p * (w[j] - a[j]));
      }
    } else {
      for (int j = 0; j < len; j++) {
        float vj = m * v[j] + (g[j] + dec * w[j] + p * (w[j] - a[j]));
        v[j] = vj;
        w[j] -= r * vj;
      }
    }
  }
}
