package dev.starling.learners;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The architecture of a built-in model: multinomial logistic (softmax) regression, or a
 * multi-layer perceptron with ReLU hidden layers and a softmax output; for regression data (one output) the same
 * networks with a single linear output trained on squared error ({@code logreg} is then linear regression).
 *
 * <p>Specs are written as strings: {@code logreg}, or {@code mlp:H1,H2,...} with positive hidden
 * widths (e.g. {@code mlp:200,200}, the "2NN" of McMahan et al. 2017, <i>Communication-Efficient
 * Learning of Deep Networks from Decentralized Data</i>). {@link #parse} and {@link #id} round-trip.
 *
 * <p>A model with {@code k} hidden layers has {@code k + 1} dense layers named {@code layer0},
 * {@code layer1}, ...; layer {@code l} owns {@code layerL.weight} of shape {@code [in, out]} (row-major,
 * so {@code z = a W + b}) and {@code layerL.bias} of shape {@code [out]}. The output layer always has
 * {@code numClasses} units, also for binary tasks.
 *
 * <p>A spec is the built-in {@link LearnerFactory}: it makes {@link SgdLearner}s whose initial parameters are
 * {@link #initialize} drawn from {@link LearnerContext#initRandom()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelSpec implements LearnerFactory {
  private static final String LOGREG = "logreg";
  private static final String MLP_PREFIX = "mlp:";
  private static final String FORMAT = "'logreg' or 'mlp:H1,H2,...' with positive integer widths";

  private final int[] hidden;

  private ModelSpec(int[] hidden) {
    this.hidden = hidden;
  }

  /** Softmax regression: one dense layer from the features to the classes. */
  public static ModelSpec logreg() {
    return new ModelSpec(new int[0]);
  }

  /** A ReLU MLP with the given hidden widths (at least one, each > 0). */
  public static ModelSpec mlp(int... hidden) {
    Objects.requireNonNull(hidden, "hidden");
    Checks.checkArgument(hidden.length > 0, "hidden widths of an mlp", "non-empty (use logreg() for none)",
        Arrays.toString(hidden));
    for (int h : hidden) {
      Checks.checkArgument(h > 0, "hidden widths of an mlp", "all > 0", Arrays.toString(hidden));
    }
    return new ModelSpec(hidden.clone());
  }

  /**
   * Parses {@code logreg} or {@code mlp:H1,H2,...}. Throws {@link IllegalArgumentException} naming the
   * spec if it is neither.
   */
  public static ModelSpec parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.equals(LOGREG)) {
      return logreg();
    }
    if (!spec.startsWith(MLP_PREFIX)) {
      throw invalid(spec);
    }
    String[] parts = spec.substring(MLP_PREFIX.length()).split(",", -1);
    int[] widths = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        widths[i] = Integer.parseInt(parts[i].strip());
      } catch (NumberFormatException e) {
        throw invalid(spec);
      }
      if (widths[i] <= 0) {
        throw invalid(spec);
      }
    }
    return new ModelSpec(widths);
  }

  private static IllegalArgumentException invalid(String spec) {
    return new IllegalArgumentException("model spec must be " + FORMAT + ". Provided value: '" + spec + "'");
  }

  /** The canonical string form, e.g. {@code logreg} or {@code mlp:200,200}; {@link #parse} accepts it. */
  public String id() {
    if (hidden.length == 0) {
      return LOGREG;
    }
    StringBuilder sb = new StringBuilder(MLP_PREFIX);
    for (int i = 0; i < hidden.length; i++) {
      sb.append(i == 0 ? "" : ",").append(hidden[i]);
    }
    return sb.toString();
  }

  /**
   * An {@link SgdLearner} for this network on {@code data}; its parameters before any fit are
   * {@code initialize(data's features, data's outputs, ctx.initRandom())}, drawn only if asked for.
   */
  @Override
  public LocalLearner create(LearnerContext ctx, Dataset data) {
    Objects.requireNonNull(ctx, "ctx");
    return new SgdLearner(this, data, ctx.initRandom());
  }

  /** The hidden widths (a copy; empty for logreg). */
  public int[] hidden() {
    return hidden.clone();
  }

  /** Number of dense layers: hidden layers plus the output layer. */
  public int numLayers() {
    return hidden.length + 1;
  }

  /**
   * Units per level: {@code [numFeatures, H1, ..., numClasses]}; {@code numClasses} is the number of outputs,
   * 1 for regression (a linear output: {@code logreg} is then linear regression).
   */
  public int[] layerSizes(int numFeatures, int numClasses) {
    Checks.checkPositive(numFeatures, "numFeatures");
    Checks.checkArgument(numClasses >= 1, "numClasses (outputs)", ">= 1", numClasses);
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = numFeatures;
    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
    sizes[sizes.length - 1] = numClasses;
    return sizes;
  }

  /** Name of the weight tensor of dense layer {@code layer}, e.g. {@code layer0.weight}. */
  public static String weightName(int layer) {
    return "layer" + layer + ".weight";
  }

  /** Name of the bias tensor of dense layer {@code layer}, e.g. {@code layer0.bias}. */
  public static String biasName(int layer) {
    return "layer" + layer + ".bias";
  }

  /** Total number of scalar parameters (weights and biases). */
  public long parameterCount(int numFeatures, int numClasses) {
    int[] sizes = layerSizes(numFeatures, numClasses);
    long n = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      n += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
    }
    return n;
  }

  /**
   * Fresh parameters: hidden (ReLU) layers use He-uniform weights, {@code U(-sqrt(6/in), sqrt(6/in))}
   * (He et al. 2015, <i>Delving Deep into Rectifiers</i>); the softmax output layer uses Glorot-uniform
   * weights, {@code U(-sqrt(6/(in+out)), sqrt(6/(in+out)))} (Glorot and Bengio 2010); biases are zero.
   * Values are drawn layer by layer in row-major order, so a seeded {@code rng} reproduces them.
   */
  public ParameterSet initialize(int numFeatures, int numClasses, RandomSource rng) {
    Objects.requireNonNull(rng, "rng");
    int[] sizes = layerSizes(numFeatures, numClasses);
    List<Tensor> tensors = new ArrayList<>(2 * numLayers());
    for (int l = 0; l < numLayers(); l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      boolean last = l == numLayers() - 1;
      double limit = last ? Math.sqrt(6.0 / (in + out)) : Math.sqrt(6.0 / in);
      Tensor w = Tensor.zeros(weightName(l), in, out);
      float[] d = w.data();
      for (int i = 0; i < d.length; i++) {
        d[i] = (float) ((2 * rng.nextDouble() - 1) * limit);
      }
      tensors.add(w);
      tensors.add(Tensor.zeros(biasName(l), out));
    }
    return ParameterSet.of(tensors);
  }

  /**
   * Throws {@link FlException} with {@link ErrorCode#INVALID_ARGUMENT}, naming the first missing,
   * unexpected or mis-shaped tensor, unless {@code p} holds exactly this spec's tensors for the given
   * data dimensions (in any order).
   */
  public void checkCompatible(ParameterSet p, int numFeatures, int numClasses) {
    Objects.requireNonNull(p, "parameters");
    int[] sizes = layerSizes(numFeatures, numClasses);
    String context = "parameters do not match model " + id() + " for " + numFeatures + " features and "
        + numClasses + " classes: ";
    Set<String> expected = new HashSet<>();
    for (int l = 0; l < numLayers(); l++) {
      checkTensor(p, weightName(l), new int[] {sizes[l], sizes[l + 1]}, context);
      checkTensor(p, biasName(l), new int[] {sizes[l + 1]}, context);
      expected.add(weightName(l));
      expected.add(biasName(l));
    }
    for (String name : p.names()) {
      if (!expected.contains(name)) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, context + "unexpected tensor '" + name + "'");
      }
    }
  }

  private static void checkTensor(ParameterSet p, String name, int[] shape, String context) {
    if (!p.names().contains(name)) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, context + "missing tensor '" + name + "'");
    }
    int[] actual = p.get(name).shape();
    if (!Arrays.equals(actual, shape)) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, context + "tensor '" + name + "' has shape "
          + Arrays.toString(actual) + ", expected " + Arrays.toString(shape));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && Arrays.equals(hidden, m.hidden);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hidden);
  }

  @Override
  public String toString() {
    return id();
  }
}
