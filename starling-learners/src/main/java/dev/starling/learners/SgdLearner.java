package dev.starling.learners;

import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.learner.Task;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.internal.DenseParams;
import dev.starling.learners.internal.DpSgdStep;
import dev.starling.learners.internal.Network;
import dev.starling.learners.internal.Sgd;
import dev.starling.privacy.dp.GaussianNoise;
import java.util.Objects;

/**
 * A {@link LocalLearner} that trains a {@link ModelSpec} network on one party's {@link Dataset} by
 * mini-batch stochastic gradient descent, as in FedAvg's {@code ClientUpdate} (McMahan et al. 2017).
 *
 * <p>Each {@link #fit} starts from a private copy of the global parameters and runs
 * {@code localEpochs} passes; epoch {@code e} visits the rows in the order
 * {@code RandomSource.seeded(seed).derive(e).permutation(n)}, in batches of {@code batchSize} (the last
 * one may be smaller). On each batch, with {@code g} the gradient of the mean cross-entropy (classification,
 * next-token) or of the mean squared error (regression data, whose network has one linear output):
 * <pre>
 *   d = g + weightDecay * w [weights only] + proximalMu * (w - w_global)
 *   v = momentum * v + d            (v = 0 at the start of every fit; heavy ball, Polyak 1964)
 *   w = w - learningRate * v
 * </pre>
 * The proximal term is FedProx's (Li et al. 2020, <i>Federated Optimization in Heterogeneous
 * Networks</i>): the gradient of {@code (mu/2) ||w - w_global||^2} over all parameters.
 * A seeded config reproduces the result bit for bit. If the config carries {@link DpSgdSettings}, each
 * batch gradient is DP-SGD's instead ({@link DpSgdStep}: per-example clipping and Gaussian noise).
 *
 * <p>Order of use: construct, then call {@link #fit} and {@link #evaluate} in any order. Not thread-safe
 * (it reuses workspaces across calls); the framework never calls one instance concurrently.
 */
public final class SgdLearner implements LocalLearner {
  private static final long DP_NOISE_STREAM = 0xD95D0L;
  private final ModelSpec spec;
  private final Dataset data;
  private final int[] sizes;
  private ParameterSet current;
  private RandomSource initRandom;
  // Workspaces, allocated on first use and reused by later fits.
  private Network network;
  private int[] batchLabels;
  private float[] batchTargets;
  private DenseParams params;
  private DenseParams anchorBuffer;
  private DenseParams velocityBuffer;

  /**
   * A learner for {@code spec} on {@code data}, whose {@link #parameters()} are {@code initial} until the
   * first fit. Throws {@link dev.starling.core.error.FlException} INVALID_ARGUMENT if {@code initial}
   * does not fit the spec and the data's dimensions.
   */
  public SgdLearner(ModelSpec spec, Dataset data, ParameterSet initial) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.data = Objects.requireNonNull(data, "data");
    this.sizes = spec.layerSizes(data.numFeatures(), data.numClasses());
    spec.checkCompatible(initial, data.numFeatures(), data.numClasses());
    this.current = initial;
  }

  /**
   * A learner for {@code spec} on {@code data} whose {@link #parameters()}, until the first fit, are fresh ones
   * drawn from {@code initRandom} ({@link ModelSpec#initialize}) when first asked for: a learner made for one
   * training job never draws them.
   */
  public SgdLearner(ModelSpec spec, Dataset data, RandomSource initRandom) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.data = Objects.requireNonNull(data, "data");
    this.sizes = spec.layerSizes(data.numFeatures(), data.numClasses());
    this.initRandom = Objects.requireNonNull(initRandom, "initRandom");
  }

  /** The model this learner trains. */
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public ParameterSet parameters() {
    if (current == null) {
      current = spec.initialize(data.numFeatures(), data.numClasses(), initRandom);
      initRandom = null;
    }
    return current;
  }

  /**
   * Trains from {@code global} (never mutated) as described in the class comment. The result's
   * {@link Metrics#LOSS} is the mean loss of the last epoch's batches, each measured before its step;
   * with no local rows it is NaN and the parameters are a copy of {@code global}.
   */
  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config) {
    Objects.requireNonNull(config, "config");
    spec.checkCompatible(global, data.numFeatures(), data.numClasses());
    ParameterSet local = global.copy();
    int n = data.size();
    if (n == 0) {
      current = local;
      return new TrainResult(local, 0, 0, Metrics.of(Metrics.LOSS, Double.NaN));
    }
    int batch = Math.min(config.batchSize(), n);
    ensureWorkspace(batch);
    params.load(spec, global);
    DenseParams anchor = config.proximalMu() > 0 ? anchor(global) : null;
    DenseParams velocity = config.momentum() > 0 ? velocity() : null;
    Sgd sgd = new Sgd(config.learningRate(), config.momentum(), config.weightDecay(), config.proximalMu(),
        params, velocity, anchor);
    if (config.gradientCorrection() != null) {
      spec.checkCompatible(config.gradientCorrection(), data.numFeatures(), data.numClasses());
      DenseParams corr = DenseParams.zeros(sizes);
      corr.load(spec, config.gradientCorrection());
      sgd.withCorrection(corr);
    }

    boolean regression = data.task() == Task.REGRESSION;
    if (regression && DpSgdSettings.from(config).isPresent()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "DP-SGD supports classification only; " + data.name()
          + " is a regression dataset");
    }
    DpSgdStep dp = DpSgdSettings.from(config).map(d -> new DpSgdStep(sizes, batch, d.clipNorm(), d.noiseMultiplier(),
        GaussianNoise.source(d.seededNoise(), config.seed(), DP_NOISE_STREAM))).orElse(null);
    int in = data.numFeatures();
    float[] x = data.features();
    int[] y = data.labels();
    float[] t = regression ? data.targets() : null;
    float[][] rows = network.inputRows();
    RandomSource root = RandomSource.seeded(config.seed());
    int[] order = new int[n];
    long steps = 0;
    double epochLoss = 0;
    for (int epoch = 0; epoch < config.localEpochs(); epoch++) {
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      root.derive(epoch).shuffle(order);
      epochLoss = 0;
      for (int start = 0; start < n; start += batch) {
        int size = Math.min(batch, n - start);
        for (int r = 0; r < size; r++) {
          int row = order[start + r];
          System.arraycopy(x, row * in, rows[r], 0, in);
          batchLabels[r] = y[row];
          if (regression) {
            batchTargets[r] = t[row];
          }
        }
        epochLoss += regression ? network.backpropSquaredError(params, batchTargets, size, sgd)
            : dp == null ? network.backprop(params, batchLabels, size, sgd)
            : dp.step(params, rows, batchLabels, size, sgd);
        steps++;
      }
    }
    params.storeInto(spec, local);
    current = local;
    return new TrainResult(local, n, steps, Metrics.of(Metrics.LOSS, epochLoss / n));
  }

  /** The metrics of {@code global} on the local data that the data's task calls for; see {@link Evaluation}. */
  @Override
  public EvalResult evaluate(ParameterSet global) {
    return Evaluation.evaluate(spec, global, data);
  }

  /** The local data's task: regression trains on squared error, the others on cross-entropy. */
  @Override
  public Task task() {
    return data.task();
  }

  private void ensureWorkspace(int batch) {
    if (network == null || network.capacity() < batch) {
      network = new Network(sizes, batch);
      batchLabels = new int[batch];
      batchTargets = new float[batch];
    }
    if (params == null) {
      params = DenseParams.zeros(sizes);
    }
  }

  /** The global parameters as a working copy, for the proximal term. */
  private DenseParams anchor(ParameterSet global) {
    if (anchorBuffer == null) {
      anchorBuffer = DenseParams.zeros(sizes);
    }
    anchorBuffer.load(spec, global);
    return anchorBuffer;
  }

  /** Zeroed momentum state. */
  private DenseParams velocity() {
    if (velocityBuffer == null) {
      velocityBuffer = DenseParams.zeros(sizes);
    } else {
      velocityBuffer.clear();
    }
    return velocityBuffer;
  }
}
