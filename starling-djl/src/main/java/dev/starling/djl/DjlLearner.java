package dev.starling.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.djl.internal.SeededInit;
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
 * never boxed. DP-SGD (per-example clipping) is not implemented here and is refused with that reason.
 *
 * <p>Not thread-safe (the framework never calls one learner concurrently). Holds native memory: call
 * {@link #close()} when done. Each call limits PyTorch's intra-op threads on the calling thread to
 * {@link #threads()} (see {@link DjlRuntime}).
 */
public final class DjlLearner implements LocalLearner, AutoCloseable {
  private static final int EVAL_BATCH = 256;

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
    if (DpSgdSettings.from(config).isPresent()) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, model.spec() + " does not implement DP-SGD "
          + "(per-example clipping through the engine); use client-side DP on the update instead");
    }
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
            NDArray x = inputs(step, order, start, size);
            NDArray y = targets(step, order, start, size);
            try (GradientCollector gc = engine.newGradientCollector()) {
              gc.zeroGradients();
              NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
              NDArray loss = loss(out, y);
              gc.backward(loss);
              epochLoss += loss.getFloat() * (double) size;
            }
            update(step, lr, momentum, decay, mu, anchor, velocity, correction);
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
    long correct = 0;
    for (int start = 0; start < n; start += EVAL_BATCH) {
      int size = Math.min(EVAL_BATCH, n - start);
      try (NDManager step = manager.newSubManager()) {
        NDArray out = block.forward(store, new NDList(inputs(step, order, start, size)), false).singletonOrThrow();
        NDArray y = targets(step, order, start, size);
        lossSum += loss(out, y).getFloat() * (double) size;
        if (data.task() != DjlTask.REGRESSION) {
          correct += out.argMax(1).toType(DataType.INT32, false).eq(y).countNonzero().getLong();
        }
      }
    }
    Metrics.Builder m = Metrics.builder().put(Metrics.LOSS, n == 0 ? Double.NaN : lossSum / n);
    if (data.task() == DjlTask.REGRESSION) {
      m.put("rmse", n == 0 ? Double.NaN : Math.sqrt(lossSum / n));
    } else {
      m.put(Metrics.ACCURACY, n == 0 ? Double.NaN : (double) correct / n);
    }
    return new EvalResult(n, m.build());
  }

  /** Frees the model's native memory; later calls fail. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }

  // v = m v + g + wd w + mu (w - anchor) + c; w -= lr v  (all under no-grad, outside the collector)
  private void update(NDManager step, float lr, float momentum, float decay, float mu, NDArray[] anchor,
      NDArray[] velocity, NDArray[] correction) {
    for (int k = 0; k < params.size(); k++) {
      Parameter p = params.get(k);
      NDArray w = p.getArray();
      NDArray d = w.getGradient();
      d.attach(step);
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
    if (data.task() == DjlTask.REGRESSION) {
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
    if (data.task() == DjlTask.REGRESSION) {
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
}
