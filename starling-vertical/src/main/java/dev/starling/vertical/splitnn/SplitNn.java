package dev.starling.vertical.splitnn;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.EpochStats;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.link.Wire;
import java.util.ArrayList;
import java.util.List;

/**
 * A split neural network (Vepakomma et al. 2018, "Split learning for health"; the vertical form of Ceballos et
 * al. 2020) between a label party and a feature party on PSI-aligned rows; protocol {@code splitnn/1}. Each
 * party has a bottom model, an MLP on its own columns ending in a ReLU cut layer; the label party's top model
 * (an MLP with a softmax cross-entropy output) reads both cut layers side by side. Per batch of m rows:
 * the feature party sends its cut-layer activations (m x embed floats); the label party runs its bottom and
 * top models forward and backward, steps them, and sends back the gradient of the loss with respect to the
 * feature party's activations (m x embed floats), from which the feature party steps its bottom model.
 * Forward and backward passes are learners' {@code Network} code.
 *
 * <p>What each party learns. The label party: the feature party's cut-layer activations of every batch row
 * (a learned, lossy embedding of its columns; with enough rows and knowledge of the feature distribution they
 * can support attribute inference, so embed should stay small) and its column count; never its weights or raw
 * values. The feature party: the gradient with respect to its activations; its sign and size correlate with
 * the label (the label-leakage attacks of Li et al. 2022, "Label leakage and protection in two-party split
 * learning"), which this implementation does not counter (no noise on the gradients). Neither sees the other's
 * model. Plain float32 on the wire, no encryption beyond the link's TLS.
 */
public final class SplitNn {
  /** The protocol name on the wire. */
  public static final String PROTOCOL = "splitnn/1";
  static final int HELLO = 1;
  static final int HELLO_FEATURE = 2;
  static final int ACTIVATIONS = 3;
  static final int GRADIENT = 4;
  static final int SCORE = 5;
  static final int DONE = 6;

  private SplitNn() {}

  /**
   * The label party's architecture.
   *
   * @param bottomHidden hidden widths of its own bottom model (empty: linear to the cut layer)
   * @param labelEmbed its cut-layer width (0 when it has no columns)
   * @param featureEmbed the feature party's cut-layer width (sent to it)
   * @param topHidden hidden widths of the top model
   */
  public record Architecture(int[] bottomHidden, int labelEmbed, int featureEmbed, int[] topHidden) {
    public Architecture {
      bottomHidden = bottomHidden.clone();
      topHidden = topHidden.clone();
      Checks.checkNonNegative(labelEmbed, "labelEmbed");
      Checks.checkPositive(featureEmbed, "featureEmbed");
    }
  }

  /**
   * What the label party ends with: cost per epoch and the scores of the test rows.
   *
   * @param epochs cost and loss per epoch
   * @param testScores P(y = 1) of the test rows ({@link VerticalConfig#testIndex} order)
   * @param testLabels their labels
   */
  public record LabelResult(List<EpochStats> epochs, float[] testScores, int[] testLabels) {}

  /** The label party's half. */
  public static LabelResult label(ColumnBlock x, int[] y, VerticalConfig config, Architecture arch, PartyLink link,
      RandomSource rng) {
    Checks.checkArgument(y.length == x.rows(), "labels", "one per row (" + x.rows() + ")", y.length);
    int labelEmbed = x.cols() == 0 ? 0 : arch.labelEmbed();
    Checks.checkArgument(x.cols() == 0 || labelEmbed > 0, "labelEmbed", "> 0 when the label party has columns", labelEmbed);
    int batch = config.batchSize();
    Mlp bottom = x.cols() == 0 ? null
        : new Mlp(x.cols(), arch.bottomHidden(), labelEmbed, batch, false, config.learningRate(), config.l2(), rng.derive(1));
    Mlp top = new Mlp(labelEmbed + arch.featureEmbed(), arch.topHidden(), 2, batch, true, config.learningRate(),
        config.l2(), rng.derive(2));
    link.send(config.writeHello(new Wire.Writer(PROTOCOL, HELLO), x.rows()).putInt(arch.featureEmbed()).toByteArray());
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO_FEATURE, "feature hello");
    hello.getInt("feature columns");
    hello.end();
    int[] train = config.trainIndex(x.rows());
    int fe = arch.featureEmbed();
    int[] rows = new int[batch];
    int[] labels = new int[batch];
    float[] gradF = new float[batch * fe];
    float[] gradL = new float[batch * Math.max(1, labelEmbed)];
    List<EpochStats> stats = new ArrayList<>();
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      long t0 = System.nanoTime();
      long s0 = link.bytesSent();
      long r0 = link.bytesReceived();
      double loss = 0;
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += batch) {
        int m = Math.min(batch, order.length - start);
        for (int i = 0; i < m; i++) {
          rows[i] = train[order[start + i]];
          labels[i] = y[rows[i]];
        }
        float[] act = readActivations(link, m, fe);
        fillTopInput(top, bottom, x, rows, m, act, labelEmbed, fe);
        loss += top.trainStep(labels, m);
        float[][] gin = top.net.inputGradientRows();
        for (int i = 0; i < m; i++) {
          System.arraycopy(gin[i], labelEmbed, gradF, i * fe, fe);
          if (bottom != null) {
            System.arraycopy(gin[i], 0, gradL, i * labelEmbed, labelEmbed);
          }
        }
        link.send(new Wire.Writer(PROTOCOL, GRADIENT).putFloats(gradF, m * fe).toByteArray());
        if (bottom != null) {
          bottom.backwardRelu(gradL, m);
        }
      }
      stats.add(new EpochStats(epoch, (System.nanoTime() - t0) / 1e9, link.bytesSent() - s0, link.bytesReceived() - r0,
          loss / train.length));
    }
    int[] test = config.testIndex(x.rows());
    link.send(new Wire.Writer(PROTOCOL, SCORE).toByteArray());
    float[] act = readActivations(link, test.length, fe);
    float[] scores = new float[test.length];
    int[] testLabels = new int[test.length];
    float[] slice = new float[batch * fe];
    for (int start = 0; start < test.length; start += batch) {
      int m = Math.min(batch, test.length - start);
      for (int i = 0; i < m; i++) {
        rows[i] = test[start + i];
        testLabels[start + i] = y[rows[i]];
      }
      System.arraycopy(act, start * fe, slice, 0, m * fe);
      fillTopInput(top, bottom, x, rows, m, slice, labelEmbed, fe);
      float[][] logits = top.forward(m, false);
      for (int i = 0; i < m; i++) {
        scores[start + i] = Mlp.probabilityOfOne(logits[i]);
      }
    }
    link.send(new Wire.Writer(PROTOCOL, DONE).toByteArray());
    return new LabelResult(List.copyOf(stats), scores, testLabels);
  }

  private static void fillTopInput(Mlp top, Mlp bottom, ColumnBlock x, int[] rows, int m, float[] act, int le, int fe) {
    float[][] in = top.net.inputRows();
    if (bottom != null) {
      bottom.load(x, rows, m);
      float[][] h = bottom.forward(m, true);
      for (int i = 0; i < m; i++) {
        System.arraycopy(h[i], 0, in[i], 0, le);
      }
    }
    for (int i = 0; i < m; i++) {
      System.arraycopy(act, i * fe, in[i], le, fe);
    }
  }

  private static float[] readActivations(PartyLink link, int m, int fe) {
    Wire.Reader r = new Wire.Reader(link.receive(), PROTOCOL).expect(ACTIVATIONS, "activations");
    float[] a = r.getFloats("activations");
    r.end();
    if (a.length != m * fe) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": " + a.length + " activations for " + m + " rows of "
          + fe);
    }
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": activation " + i + " is " + a[i]);
      }
    }
    return a;
  }

  /** The feature party's half: a bottom model with {@code hidden} widths on its columns, following the label party. */
  public static void feature(ColumnBlock x, int[] hidden, PartyLink link, RandomSource rng) {
    Checks.checkPositive(x.cols(), "feature party columns");
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO, "label hello");
    VerticalConfig config = VerticalConfig.readHello(hello, x.rows());
    int fe = hello.getInt("embed");
    hello.end();
    Checks.checkArgument(fe > 0 && fe <= 4096, "embed", "in [1, 4096]", fe);
    int batch = config.batchSize();
    int epochs = config.epochs();
    double lr = config.learningRate();
    double l2 = config.l2();
    link.send(new Wire.Writer(PROTOCOL, HELLO_FEATURE).putInt(x.cols()).toByteArray());
    Mlp bottom = new Mlp(x.cols(), hidden, fe, batch, false, lr, l2, rng);
    int[] train = config.trainIndex(x.rows());
    int[] rows = new int[batch];
    float[] act = new float[batch * fe];
    for (int epoch = 1; epoch <= epochs; epoch++) {
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += batch) {
        int m = Math.min(batch, order.length - start);
        for (int i = 0; i < m; i++) {
          rows[i] = train[order[start + i]];
        }
        sendActivations(bottom, x, rows, m, fe, act, link);
        Wire.Reader g = new Wire.Reader(link.receive(), PROTOCOL).expect(GRADIENT, "gradient");
        float[] grad = g.getFloats("gradient");
        g.end();
        if (grad.length != m * fe) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": " + grad.length + " gradient values for " + m
              + " rows of " + fe);
        }
        bottom.backwardRelu(grad, m);
      }
    }
    new Wire.Reader(link.receive(), PROTOCOL).expect(SCORE, "score request").end();
    int[] test = config.testIndex(x.rows());
    float[] all = new float[test.length * fe];
    for (int start = 0; start < test.length; start += batch) {
      int m = Math.min(batch, test.length - start);
      for (int i = 0; i < m; i++) {
        rows[i] = test[start + i];
      }
      bottom.load(x, rows, m);
      float[][] h = bottom.forward(m, true);
      for (int i = 0; i < m; i++) {
        System.arraycopy(h[i], 0, all, (start + i) * fe, fe);
      }
    }
    link.send(new Wire.Writer(PROTOCOL, ACTIVATIONS).putFloats(all, all.length).toByteArray());
    new Wire.Reader(link.receive(), PROTOCOL).expect(DONE, "done").end();
  }

  private static void sendActivations(Mlp bottom, ColumnBlock x, int[] rows, int m, int fe, float[] act, PartyLink link) {
    bottom.load(x, rows, m);
    float[][] h = bottom.forward(m, true);
    for (int i = 0; i < m; i++) {
      System.arraycopy(h[i], 0, act, i * fe, fe);
    }
    link.send(new Wire.Writer(PROTOCOL, ACTIVATIONS).putFloats(act, m * fe).toByteArray());
  }

  /**
   * The centralised baseline: the same bottom-plus-top shape trained in one place on {@code x} (all columns,
   * or the label party's alone), with the same split and batch order; returns P(y = 1) of the test rows.
   */
  public static float[] centralised(ColumnBlock x, int[] y, VerticalConfig config, int[] hidden, RandomSource rng) {
    int batch = config.batchSize();
    Mlp net = new Mlp(x.cols(), hidden, 2, batch, false, config.learningRate(), config.l2(), rng);
    int[] train = config.trainIndex(x.rows());
    int[] rows = new int[batch];
    int[] labels = new int[batch];
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += batch) {
        int m = Math.min(batch, order.length - start);
        for (int i = 0; i < m; i++) {
          rows[i] = train[order[start + i]];
          labels[i] = y[rows[i]];
        }
        net.load(x, rows, m);
        net.trainStep(labels, m);
      }
    }
    int[] test = config.testIndex(x.rows());
    float[] scores = new float[test.length];
    for (int start = 0; start < test.length; start += batch) {
      int m = Math.min(batch, test.length - start);
      System.arraycopy(test, start, rows, 0, m);
      net.load(x, rows, m);
      float[][] logits = net.forward(m, false);
      for (int i = 0; i < m; i++) {
        scores[start + i] = Mlp.probabilityOfOne(logits[i]);
      }
    }
    return scores;
  }
}
