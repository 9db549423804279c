package dev.starling.djl;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.Task;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.Objects;

/**
 * Starling {@link Dataset}s as DJL models read them, and a {@link LocalLearner} over any DJL model and a
 * {@code Dataset}: the adapter a learner plug-in (the {@code djl:} provider) hands the framework.
 *
 * <p>Example shapes: the CNN gets images of {@code [1, S, S]} where {@code S * S} is the feature count (28 x 28 for
 * MNIST and Fashion-MNIST, 8 x 8 for the bundled digits); the LSTM and transformer get token ids, either given as
 * ids ({@link dev.starling.data.ShakespeareBySpeaker}: {@code context} features) or one-hot windows
 * ({@link dev.starling.data.TextCorpus}: {@code context x V} features, converted to ids); the MLP gets the flat
 * features. Stateless.
 */
public final class DjlDatasets {
  private DjlDatasets() {}

  /**
   * {@code d} as {@code model} reads it.
   *
   * @throws IllegalArgumentException if the model cannot learn the data's task or shape (naming both)
   */
  public static DjlData toDjlData(DjlModel model, Dataset d) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(d, "dataset");
    if (!model.tasks().contains(d.task())) {
      throw new IllegalArgumentException(model.spec() + " learns " + model.tasks() + ", but " + d.name() + " is a "
          + d.task() + " dataset");
    }
    return switch (d.task()) {
      case REGRESSION -> DjlData.regression(d.name(), d.features(), d.targets(), d.numFeatures());
      case NEXT_TOKEN -> nextToken(d);
      case CLASSIFICATION -> model instanceof CnnModel ? DjlData.of(d, 1, side(d), side(d)) : DjlData.of(d);
    };
  }

  /**
   * A {@link LocalLearner} for {@code model} on {@code data} with initial parameters from {@code seed}: it builds
   * the native model for each call and frees it afterwards, so the framework may drop it without closing anything
   * (the simulation makes one learner per client job). Regression metrics {@code rmse} and {@code mae} are in the
   * label's units ({@link Dataset#targetScale()}), as the built-in learners report them.
   */
  public static LocalLearner learner(DjlModel model, Dataset data, long seed, int threads) {
    return new PerCallLearner(model, data, toDjlData(model, data), seed, threads);
  }

  private static int side(Dataset d) {
    int s = (int) Math.round(Math.sqrt(d.numFeatures()));
    if (s * s != d.numFeatures()) {
      throw new IllegalArgumentException("a CNN reads square single-channel images, but " + d.name() + " has "
          + d.numFeatures() + " features, not a square number");
    }
    return s;
  }

  private static DjlData nextToken(Dataset d) {
    int v = d.numClasses();
    int f = d.numFeatures();
    float[] x = d.features();
    if (f % v == 0 && isOneHot(x, v)) {
      int ctx = f / v;
      float[] ids = new float[d.size() * ctx];
      for (int r = 0; r < d.size(); r++) {
        for (int k = 0; k < ctx; k++) {
          int base = r * f + k * v;
          int j = 0;
          while (x[base + j] == 0f) {
            j++;
          }
          ids[r * ctx + k] = j;
        }
      }
      return DjlData.nextToken(d.name(), ids, d.labels(), v, ctx);
    }
    return DjlData.nextToken(d.name(), x, d.labels(), v, f);
  }

  // every block of v values holds exactly one 1 and zeros otherwise (TextCorpus's one-hot windows)
  private static boolean isOneHot(float[] x, int v) {
    for (int b = 0; b < x.length; b += v) {
      int ones = 0;
      for (int j = b; j < b + v; j++) {
        if (x[j] == 1f) {
          ones++;
        } else if (x[j] != 0f) {
          return false;
        }
      }
      if (ones != 1) {
        return false;
      }
    }
    return x.length > 0;
  }

  /** Builds the native model per call and closes it after; holds only the initial parameters between calls. */
  private static final class PerCallLearner implements LocalLearner {
    private final DjlModel model;
    private final Dataset dataset;
    private final DjlData data;
    private final long seed;
    private final int threads;
    private ParameterSet current;

    PerCallLearner(DjlModel model, Dataset dataset, DjlData data, long seed, int threads) {
      this.model = model;
      this.dataset = dataset;
      this.data = data;
      this.seed = seed;
      this.threads = threads;
    }

    @Override
    public ParameterSet parameters() {
      if (current == null) {
        try (DjlLearner l = DjlLearner.create(model, data, seed, threads)) {
          current = l.parameters();
        }
      }
      return current;
    }

    @Override
    public TrainResult fit(ParameterSet global, TrainConfig config) {
      try (DjlLearner l = DjlLearner.create(model, data, seed, threads)) {
        TrainResult r = l.fit(global, config);
        current = r.parameters();
        return r;
      }
    }

    @Override
    public EvalResult evaluate(ParameterSet global) {
      EvalResult r;
      try (DjlLearner l = DjlLearner.create(model, data, seed, threads)) {
        r = l.evaluate(global);
      }
      double scale = dataset.targetScale();
      if (dataset.task() != Task.REGRESSION || scale == 1.0) {
        return r;
      }
      Metrics.Builder m = Metrics.builder();
      for (var e : r.metrics().asMap().entrySet()) {
        boolean inUnits = e.getKey().equals(Metrics.RMSE) || e.getKey().equals(Metrics.MAE);
        m.put(e.getKey(), inUnits ? e.getValue() * scale : e.getValue());
      }
      return new EvalResult(r.numExamples(), m.build());
    }

    @Override
    public Task task() {
      return dataset.task();
    }

    @Override
    public String toString() {
      return model.spec() + " on " + data + " " + Arrays.toString(data.exampleShape());
    }
  }
}
