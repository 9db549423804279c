package dev.starling.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.Task;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.djl.internal.SeededInit;
import dev.starling.privacy.dp.GaussianNoise;
import dev.starling.privacy.dp.Updates;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LocalLearner} over a DJL model on the PyTorch engine: mini-batch SGD with heavy-ball momentum,
 * L2 weight decay on weights (not biases or norm parameters), the FedProx proximal term
 * {@code (mu/2)||w - w_global||^2} and SCAFFOLD's gradient correction, with the same update rule as
 * Starling's own {@code SgdLearner}: {@code v = m v + g + wd w + mu (w - w_global) + c; w -= lr v}. Shuffling
 * follows {@link TrainConfig#seed()}, initial parameters follow the construction seed (drawn by Starling,
 * not by the engine), and the models have no dropout, so a seed reproduces a run on the same machine and
 * thread count.
 *
 * <p>Parameters cross the boundary as {@link ParameterSet}s in DJL's parameter order and names, one
 * {@code float[]} copy per tensor each way ({@code NDArray.toFloatArray} / {@code NDArray.set(FloatBuffer)}),
 * never boxed. With {@link DpSgdSettings} in the config each batch gradient is DP-SGD's instead: per-example
 * gradients by micro-batches of one through the engine, clipped by privacy's {@link Updates#clipFactor} and noised
 * by its {@link GaussianNoise} (one forward-backward pass per example, so several times slower).
 *
 * <p>Not thread-safe (the framework never calls one learner concurrently). Holds native memory: call
 * {@link #close()} when done. Each call limits PyTorch's intra-op threads on the calling thread to
 * {@link #threads()} (see {@link DjlRuntime}).
 */
public final class DjlLearner implements LocalLearner, AutoCloseable {
  private static final int EVAL_BATCH = 256;
  /** Key of DP-SGD's noise stream under the job seed (when the settings ask for seeded noise). */
  private static final long DP_NOISE_STREAM = 0xD95DL;

  private final DjlModel model;
  private final DjlData data;
  private final int threads;
  private final Engine engine;
  private final NDManager manager;
  private final Block block;
  private final ParameterStore store;
  private final List<Parameter> params = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final int[] tokens;
  private ParameterSet current;
  private boolean closed;


  private DjlLearner(DjlModel model, DjlData data, long seed, int threads) {
    this.model = Objects.requireNonNull(model, "model");
    this.data = Objects.requireNonNull(data, "data");
    Checks.checkArgument(model.tasks().contains(data.task()), "task of " + data.name(),
        "one of " + model.tasks() + " for " + model.spec(), data.task());
    this.threads = Checks.checkPositive(threads, "threads");
    this.engine = DjlRuntime.engine();
    DjlRuntime.limitThreads(threads);
    this.manager = engine.newBaseManager();
    try {
      this.block = model.build(data.exampleShape(), data.numOutputs());
      block.initialize(manager, DataType.FLOAT32, batchShape(1));
      for (Pair<String, Parameter> p : block.getParameters()) {
        names.add(p.getKey());
        params.add(p.getValue());
      }
      SeededInit.apply(params, seed);
      this.store = new ParameterStore(manager, false);
      this.tokens = model.tokenInput() ? toTokens(data.features()) : null;
      this.current = read();
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A learner for {@code model} on {@code data}, its initial parameters drawn from {@code seed}.
   *
   * @param threads PyTorch intra-op threads this learner may use; {@link DjlRuntime#threadsPerClient}
   *     divides the cores among clients that train in parallel
   * @throws IllegalArgumentException if the model cannot learn the data's task or shape
   */
  public static DjlLearner create(DjlModel model, DjlData data, long seed, int threads) {
    return new DjlLearner(model, data, seed, threads);
  }

  /** As {@link #create(DjlModel, DjlData, long, int)} with one thread. */
  public static DjlLearner create(DjlModel model, DjlData data, long seed) {
    return new DjlLearner(model, data, seed, 1);
  }

  public DjlModel model() {
    return model;
  }

  public int threads() {
    return threads;
  }

  /** Number of trainable scalars. */
  public long parameterCount() {
    return current.size();
  }

  @Override
  public ParameterSet parameters() {
    return current;
  }

  /**
   * Replaces the local parameters (e.g. from a checkpoint); {@link #parameters()} then returns what the engine
   * holds, read back.
   *
   * @throws FlException if {@code p} does not have this model's tensor names and shapes
   */
  public void load(ParameterSet p) {
    checkOpen();
    checkSpec(p, "parameters");
    write(p);
    current = read();
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config) {
    Objects.requireNonNull(config, "config");
    checkOpen();
    checkSpec(global, "global parameters");
    DpSgdSettings dp = DpSgdSettings.from(config).orElse(null);
    config.correction().ifPresent(c -> checkSpec(c, "gradient correction"));
    DjlRuntime.limitThreads(threads);
    write(global);
    int n = data.size();
    if (n == 0) {
      current = global;
      return new TrainResult(global, 0, 0, Metrics.of(Metrics.LOSS, Double.NaN));
    }
    int batch = Math.min(config.batchSize(), n);
    float lr = (float) config.learningRate();
    float momentum = (float) config.momentum();
    float decay = (float) config.weightDecay();
    float mu = (float) config.proximalMu();
    RandomSource shuffle = RandomSource.seeded(config.seed());
    GaussianNoise mechanism = dp == null ? null : GaussianNoise.of(dp.clipNorm(), dp.noiseMultiplier(), current.size());
    RandomSource noise = dp == null ? null : GaussianNoise.source(dp.seededNoise(), config.seed(), DP_NOISE_STREAM);
    int[] order = new int[n];
    long steps = 0;
    double epochLoss = 0;
    try (NDManager fitScope = manager.newSubManager()) {
      NDArray[] anchor = mu > 0 ? arrays(fitScope, global) : null;
      NDArray[] correction = config.correction().map(c -> arrays(fitScope, c)).orElse(null);
      NDArray[] velocity = momentum > 0 ? zeros(fitScope) : null;
      for (int epoch = 0; epoch < config.localEpochs(); epoch++) {
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        shuffle.derive(epoch).shuffle(order);
        epochLoss = 0;
        for (int start = 0; start < n; start += batch) {
          int size = Math.min(batch, n - start);
          try (NDManager step = fitScope.newSubManager()) {
            NDArray[] grads;
            if (dp == null) {
              NDArray x = inputs(step, order, start, size);
              NDArray y = targets(step, order, start, size);
              try (Collector gc = new Collector()) {
                NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
                NDArray loss = loss(out, y);
                gc.backward(loss);
                epochLoss += loss.getFloat() * (double) size;
              }
              grads = gradients(step);
            } else {
              grads = new NDArray[params.size()];
              epochLoss += dpSgdGradient(step, order, start, size, batch, dp.clipNorm(), mechanism, noise, grads);
            }
            update(step, grads, lr, momentum, decay, mu, anchor, velocity, correction);
          }
          steps++;
        }
      }
    }
    current = read();
    return new TrainResult(current, n, steps, Metrics.of(Metrics.LOSS, epochLoss / n));
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    checkOpen();
    checkSpec(global, "global parameters");
    DjlRuntime.limitThreads(threads);
    write(global);
    int n = data.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    double lossSum = 0;
    double absSum = 0;
    long correct = 0;
    for (int start = 0; start < n; start += EVAL_BATCH) {
      int size = Math.min(EVAL_BATCH, n - start);
      try (NDManager step = manager.newSubManager()) {
        NDArray out = block.forward(store, new NDList(inputs(step, order, start, size)), false).singletonOrThrow();
        NDArray y = targets(step, order, start, size);
        lossSum += loss(out, y).getFloat() * (double) size;
        if (data.task() == Task.REGRESSION) {
          absSum += out.reshape(-1).sub(y).abs().sum().getFloat();
        } else {
          correct += out.argMax(1).toType(DataType.INT32, false).eq(y).countNonzero().getLong();
        }
      }
    }
    double loss = n == 0 ? Double.NaN : lossSum / n;
    Metrics.Builder m = Metrics.builder().put(Metrics.LOSS, loss);
    if (data.task() == Task.REGRESSION) {
      m.put(Metrics.RMSE, Math.sqrt(loss)).put(Metrics.MAE, n == 0 ? Double.NaN : absSum / n);
      m.put(Metrics.R2, 1 - lossSum / totalSquares(data.targets()));
    } else {
      if (data.task() == Task.NEXT_TOKEN) {
        m.put(Metrics.PERPLEXITY, Math.exp(loss));
      }
      m.put(Metrics.ACCURACY, n == 0 ? Double.NaN : (double) correct / n);
    }
    return new EvalResult(n, m.build());
  }

  /**
   * The Fisher pruning signal (Theis et al. 2018; as the built-in MLP's {@code FisherScores}) of every unit of the
   * activation that child {@code split} of this learner's sequential model outputs, under {@code global} on the
   * examples {@code rows}: {@code Delta_j = 1/(2N) sum_n (a_nj g_nj)^2} with {@code g_nj = dL_n / da_nj}.
   *
   * <p>One batched pass per {@code batch} examples: the prefix (children {@code 0..split}) runs without autograd and
   * its output {@code a} ({@code [B, units]}) becomes a leaf that requires grad; the rest of the model and the SUM of
   * the per-example losses run with autograd on this thread and one backward gives {@code a}'s gradient, whose row
   * {@code n} is {@code dL_n / da_n} (each example's loss depends on its own row only). The squares are summed over
   * the batch on the engine; only the per-unit sums cross into Java.
   *
   * @throws IllegalArgumentException if the model is not a {@link SequentialBlock} or its child {@code split} does not
   *     output a {@code [B, units]} activation
   */
  double[] unitFisher(ParameterSet global, int[] rows, int split, int batch) {
    checkOpen();
    checkSpec(global, "global parameters");
    Checks.checkPositive(batch, "batch");
    List<Block> children = children(split);
    DjlRuntime.limitThreads(threads);
    write(global);
    double[] score = null;
    boolean previous = JniUtils.isGradMode();
    try {
      for (int start = 0; start < rows.length; start += batch) {
        int size = Math.min(batch, rows.length - start);
        try (NDManager step = manager.newSubManager()) {
          JniUtils.setGradMode(false);
          NDArray a = prefix(children, split, inputs(step, rows, start, size));
          a.setRequiresGradient(true);
          JniUtils.setGradMode(true);
          NDList out = new NDList(a);
          for (int c = split + 1; c < children.size(); c++) {
            out = children.get(c).forward(store, out, false);
          }
          NDArray loss = loss(out.singletonOrThrow(), targets(step, rows, start, size)).mul(size);
          JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
          JniUtils.setGradMode(false);
          float[] s = a.mul(a.getGradient()).square().sum(new int[] {0}).toFloatArray();
          if (score == null) {
            score = new double[s.length];
          }
          for (int j = 0; j < s.length; j++) {
            score[j] += s[j];
          }
        }
      }
    } finally {
      JniUtils.setGradMode(previous);
    }
    if (score == null) {
      return new double[0];
    }
    for (int j = 0; j < score.length; j++) {
      score[j] /= 2.0 * rows.length;
    }
    return score;
  }

  /**
   * The activation child {@code split} of this learner's sequential model outputs on example {@code row} under the
   * current parameters, flat (for tests of {@link #unitFisher}).
   */
  float[] activation(int row, int split) {
    checkOpen();
    List<Block> children = children(split);
    boolean previous = JniUtils.isGradMode();
    try (NDManager step = manager.newSubManager()) {
      JniUtils.setGradMode(false);
      return prefix(children, split, inputs(step, new int[] {row}, 0, 1)).toFloatArray();
    } finally {
      JniUtils.setGradMode(previous);
    }
  }

  private List<Block> children(int split) {
    Checks.checkArgument(block instanceof SequentialBlock, "model of " + model.spec(), "a sequential block",
        block.getClass().getSimpleName());
    List<Block> children = ((SequentialBlock) block).getChildren().values();
    Checks.checkArgument(split >= 0 && split < children.size() - 1, "split child of " + model.spec(),
        "in [0, " + (children.size() - 1) + ")", split);
    return children;
  }

  private NDArray prefix(List<Block> children, int split, NDArray x) {
    NDList h = new NDList(x);
    for (int c = 0; c <= split; c++) {
      h = children.get(c).forward(store, h, false);
    }
    NDArray a = h.singletonOrThrow();
    Checks.checkArgument(a.getShape().dimension() == 2, "output of child " + split + " of " + model.spec(),
        "[batch, units]", a.getShape());
    return a;
  }

  /** What this learner's model predicts: its data's task. */
  @Override
  public Task task() {
    return data.task();
  }

  // sum (t - mean)^2, the R^2 denominator (NaN for no rows; 0 makes R^2 -inf or NaN, as for the built-in learners)
  private static double totalSquares(float[] t) {
    double mean = 0;
    for (float v : t) {
      mean += v;
    }
    mean /= t.length;
    double s = 0;
    for (float v : t) {
      s += (v - mean) * (v - mean);
    }
    return t.length == 0 ? Double.NaN : s;
  }

  /** Frees the model's native memory; later calls fail. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  private NDArray[] gradients(NDManager step) {
    NDArray[] g = new NDArray[params.size()];
    for (int k = 0; k < g.length; k++) {
      g[k] = params.get(k).getArray().getGradient();
      g[k].attach(step);
    }
    return g;
  }

  /**
   * DP-SGD's batch gradient (Abadi et al. 2016) by micro-batches of one: for each of the {@code size} examples a
   * forward-backward pass of that example alone, its gradient scaled by privacy's clip rule to L2 norm at most
   * {@code clip} and added to a running sum; then the sum plus the Gaussian mechanism's noise, divided by the
   * nominal batch size, into {@code out}. Returns the summed loss of the examples.
   */
  private double dpSgdGradient(NDManager step, int[] order, int start, int size, int batch, double clip,
      GaussianNoise mechanism, RandomSource noise, NDArray[] out) {
    NDArray[] sum = zeros(step);
    double lossSum = 0;
    int[] one = new int[1];
    for (int r = 0; r < size; r++) {
      one[0] = order[start + r];
      try (NDManager example = step.newSubManager()) {
        NDArray x = inputs(example, one, 0, 1);
        NDArray y = targets(example, one, 0, 1);
        try (Collector gc = new Collector()) {
          NDArray loss = loss(block.forward(store, new NDList(x), true).singletonOrThrow(), y);
          gc.backward(loss);
          lossSum += loss.getFloat();
        }
        NDArray[] g = gradients(example);
        NDArray squares = null;
        for (NDArray gk : g) {
          NDArray s = gk.square().sum();
          squares = squares == null ? s : squares.add(s);
        }
        double norm = Math.sqrt(squares.toType(DataType.FLOAT64, false).getDouble());
        float scale = (float) Updates.clipFactor(norm, clip);
        for (int k = 0; k < g.length; k++) {
          sum[k].addi(g[k].mul(scale));
        }
      }
    }
    float inv = 1f / batch;
    for (int k = 0; k < sum.length; k++) {
      float[] v = sum[k].toFloatArray();
      mechanism.addTo(v, noise);
      for (int j = 0; j < v.length; j++) {
        v[j] *= inv;
      }
      out[k] = step.create(v, sum[k].getShape());
    }
    return lossSum;
  }

  // v = m v + g + wd w + mu (w - anchor) + c; w -= lr v  (all under no-grad, outside the collector)
  private void update(NDManager step, NDArray[] grads, float lr, float momentum, float decay, float mu,
      NDArray[] anchor, NDArray[] velocity, NDArray[] correction) {
    for (int k = 0; k < params.size(); k++) {
      Parameter p = params.get(k);
      NDArray w = p.getArray();
      NDArray d = grads[k];
      if (correction != null) {
        d = d.add(correction[k]);
      }
      if (decay > 0 && p.getType() == Parameter.Type.WEIGHT) {
        d = d.add(w.mul(decay));
      }
      if (anchor != null) {
        d = d.add(w.sub(anchor[k]).muli(mu));
      }
      if (velocity != null) {
        velocity[k].muli(momentum).addi(d);
        d = velocity[k];
      }
      w.subi(d.mul(lr));
    }
  }

  private NDArray loss(NDArray out, NDArray y) {
    if (data.task() == Task.REGRESSION) {
      return out.reshape(-1).sub(y).square().mean();
    }
    return Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(out));
  }

  private NDArray inputs(NDManager step, int[] order, int start, int size) {
    int per = data.exampleSize();
    Shape shape = batchShape(size);
    if (tokens != null) {
      int[] buf = new int[size * per];
      for (int r = 0; r < size; r++) {
        System.arraycopy(tokens, order[start + r] * per, buf, r * per, per);
      }
      return step.create(buf, shape);
    }
    float[] x = data.features();
    float[] buf = new float[size * per];
    for (int r = 0; r < size; r++) {
      System.arraycopy(x, order[start + r] * per, buf, r * per, per);
    }
    return step.create(buf, shape);
  }

  private NDArray targets(NDManager step, int[] order, int start, int size) {
    if (data.task() == Task.REGRESSION) {
      float[] t = data.targets();
      float[] buf = new float[size];
      for (int r = 0; r < size; r++) {
        buf[r] = t[order[start + r]];
      }
      return step.create(buf);
    }
    int[] l = data.labels();
    int[] buf = new int[size];
    for (int r = 0; r < size; r++) {
      buf[r] = l[order[start + r]];
    }
    return step.create(buf);
  }

  private Shape batchShape(int batch) {
    int[] e = data.exampleShape();
    long[] s = new long[e.length + 1];
    s[0] = batch;
    for (int i = 0; i < e.length; i++) {
      s[i + 1] = e[i];
    }
    return new Shape(s);
  }

  private ParameterSet read() {
    List<Tensor> out = new ArrayList<>(params.size());
    for (int k = 0; k < params.size(); k++) {
      NDArray a = params.get(k).getArray();
      out.add(Tensor.of(names.get(k), a.toFloatArray(), toInts(a.getShape())));
    }
    return ParameterSet.of(out);
  }

  private void write(ParameterSet p) {
    for (int k = 0; k < params.size(); k++) {
      params.get(k).getArray().set(FloatBuffer.wrap(p.tensors().get(k).data()));
    }
  }

  private NDArray[] arrays(NDManager scope, ParameterSet p) {
    NDArray[] out = new NDArray[params.size()];
    for (int k = 0; k < out.length; k++) {
      Tensor t = p.tensors().get(k);
      out[k] = scope.create(t.data(), params.get(k).getArray().getShape());
    }
    return out;
  }

  private NDArray[] zeros(NDManager scope) {
    NDArray[] out = new NDArray[params.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = scope.zeros(params.get(k).getArray().getShape());
    }
    return out;
  }

  private void checkSpec(ParameterSet p, String what) {
    Objects.requireNonNull(p, what);
    current.checkSameSpec(p, what + " for " + model.spec());
  }

  private void checkOpen() {
    Checks.checkState(!closed, "DjlLearner for " + data.name() + " is closed");
  }

  private static int[] toTokens(float[] f) {
    int[] t = new int[f.length];
    for (int i = 0; i < f.length; i++) {
      t[i] = (int) f[i];
    }
    return t;
  }

  private static int[] toInts(Shape s) {
    long[] d = s.getShape();
    int[] out = new int[d.length];
    for (int i = 0; i < d.length; i++) {
      out[i] = Math.toIntExact(d[i]);
    }
    return out;
  }

  /**
   * Autograd for one step of this learner on the calling thread. DJL's {@code PtGradientCollector} allows one
   * collector in the whole process (a static flag: a second client training in parallel fails with "already
   * collecting") and zeroes the gradients of every array of the engine; this one zeroes this learner's parameters'
   * gradients only and switches grad mode, which PyTorch keeps per thread, on the calling thread only.
   */
  private final class Collector implements AutoCloseable {
    private final boolean previous;

    Collector() {
      for (Parameter p : params) {
        NDArray g = p.getArray().getGradient();
        g.subi(g);
        g.close();
      }
      previous = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
    }

    void backward(NDArray loss) {
      try (NDArray ones = loss.onesLike()) {
        JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
      }
    }

    @Override
    public void close() {
      JniUtils.setGradMode(previous);
    }
  }
}
