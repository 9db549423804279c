package dev.starling.djl;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.submodel.DroppableModel;
import dev.starling.learners.submodel.NeuronMask;
import dev.starling.learners.submodel.UnitSubModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The FedAvg CNN ({@link CnnModel}) as a {@link DroppableModel}: Federated Dropout and FisherDropout drop units of its
 * dense layer.
 * The sub-model keeping {@code k} of the {@code dense} units is {@code CnnModel(conv1, conv2, k)}, a smaller CNN
 * trained with the same {@link DjlLearner} code, so a client's compute shrinks with {@code k}.
 *
 * <p>DJL's parameter layout of the CNN, in {@link DjlLearner}'s (= {@code SequentialBlock.getParameters()}) order:
 * the two convolutions' weight {@code [C, Cin, 5, 5]} and bias {@code [C]}, then the dense layer's weight
 * {@code [dense, F]} (one row of {@code F = conv2 * (H/4) * (W/4)} inputs per unit, row-major) and bias
 * {@code [dense]}, then the output layer's weight {@code [outputs, dense]} and bias {@code [outputs]}. A sub-model
 * shares every convolution parameter and the output bias, keeps the kept units' rows of the dense weight and
 * entries of its bias (whole rows, copied with {@code System.arraycopy}) and the kept units' columns of the output
 * weight; names stay the full model's. Not thread-safe (one per job).
 */
final class CnnDroppable implements DroppableModel {
  private static final int DENSE_W = 4;
  private static final int DENSE_B = 5;
  private static final int OUT_W = 6;
  private static final int OUT_B = 7;
  /** Examples per batched forward and backward of {@link #fisherScores}. */
  static final int FISHER_BATCH = 128;

  private final CnnModel model;
  private final Dataset dataset;
  private final DjlData data;
  private final int threads;

  CnnDroppable(CnnModel model, Dataset dataset, int threads) {
    this.model = Objects.requireNonNull(model, "model");
    this.dataset = Objects.requireNonNull(dataset, "dataset");
    this.data = DjlDatasets.toDjlData(model, dataset);
    this.threads = threads;
  }

  @Override
  public int[] widths() {
    return new int[] {model.dense()};
  }

  @Override
  public UnitSubModel subModel(boolean[][] keep) {
    Checks.checkArgument(keep.length == 1, "droppable layers of " + model.spec(), "1 (the dense layer)", keep.length);
    Checks.checkArgument(keep[0].length == model.dense(), "keep[0].length", "the dense width " + model.dense(),
        keep[0].length);
    int kept = 0;
    for (boolean k : keep[0]) {
      kept += k ? 1 : 0;
    }
    Checks.checkArgument(kept > 0, "kept units of the dense layer of " + model.spec(), ">= 1", kept);
    int[] units = new int[kept];
    for (int u = 0, j = 0; u < keep[0].length; u++) {
      if (keep[0][u]) {
        units[j++] = u;
      }
    }
    return new Sub(units, NeuronMask.positionBytes(keep));
  }

  /**
   * FisherDropout's scores of the dense units: the Fisher pruning signal of the built-in MLP's {@code FisherScores}
   * ({@code 1/(2N) sum_n (a_nj dL_n/da_nj)^2}, {@code a} the dense layer's ReLU output) on the first {@code rows} of a
   * permutation of the client's examples drawn from {@code rng} (the MLP's sample), by {@link DjlLearner#unitFisher}:
   * one batched forward and backward per {@value #FISHER_BATCH} examples.
   */
  @Override
  public double[][] fisherScores(ParameterSet global, int rows, RandomSource rng) {
    int n = dataset.size();
    if (n == 0) {
      return new double[][] {new double[model.dense()]};
    }
    int[] sample = Arrays.copyOf(rng.permutation(n), Math.min(n, rows));
    try (DjlLearner l = DjlLearner.create(model, data, 0, threads)) {
      return new double[][] {l.unitFisher(global, sample, CnnModel.DENSE_ACTIVATION, FISHER_BATCH)};
    }
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    return DjlDatasets.learner(model, dataset, 0, threads).evaluate(global);
  }

  /** The sub-model keeping dense units {@code units} (ascending). */
  private final class Sub implements UnitSubModel {
    private final int[] units;
    private final long positionBytes;

    Sub(int[] units, long positionBytes) {
      this.units = units;
      this.positionBytes = positionBytes;
    }

    /** Checks {@code p} is the full CNN's layout and returns the dense layer's input width F. */
    private int inputs(ParameterSet p) {
      List<Tensor> t = p.tensors();
      Checks.checkArgument(t.size() == 8, "tensors of " + model.spec(), "8 (two convolutions, dense, output)", t.size());
      int[] dw = t.get(DENSE_W).shape();
      int[] ow = t.get(OUT_W).shape();
      Checks.checkArgument(dw.length == 2 && dw[0] == model.dense() && t.get(DENSE_B).size() == model.dense(),
          "shape of the dense layer's " + t.get(DENSE_W).name(), "[" + model.dense() + ", F]", Arrays.toString(dw));
      Checks.checkArgument(ow.length == 2 && ow[1] == model.dense() && t.get(OUT_B).size() == ow[0],
          "shape of the output layer's " + t.get(OUT_W).name(), "[outputs, " + model.dense() + "]", Arrays.toString(ow));
      return dw[1];
    }

    @Override
    public ParameterSet extract(ParameterSet full) {
      int f = inputs(full);
      List<Tensor> in = full.tensors();
      List<Tensor> out = new ArrayList<>(in.size());
      for (int k = 0; k < DENSE_W; k++) {
        out.add(in.get(k).copy());
      }
      int k = units.length;
      float[] dw = in.get(DENSE_W).data();
      float[] db = in.get(DENSE_B).data();
      float[] sw = new float[k * f];
      float[] sb = new float[k];
      for (int j = 0; j < k; j++) {
        System.arraycopy(dw, units[j] * f, sw, j * f, f);
        sb[j] = db[units[j]];
      }
      out.add(Tensor.of(in.get(DENSE_W).name(), sw, k, f));
      out.add(Tensor.of(in.get(DENSE_B).name(), sb, k));
      int outputs = in.get(OUT_W).dim(0);
      int dense = model.dense();
      float[] ow = in.get(OUT_W).data();
      float[] so = new float[outputs * k];
      for (int o = 0; o < outputs; o++) {
        int row = o * dense;
        int subRow = o * k;
        for (int j = 0; j < k; j++) {
          so[subRow + j] = ow[row + units[j]];
        }
      }
      out.add(Tensor.of(in.get(OUT_W).name(), so, outputs, k));
      out.add(in.get(OUT_B).copy());
      return ParameterSet.of(out);
    }

    @Override
    public ParameterSet scatter(ParameterSet sub, ParameterSet base) {
      int f = inputs(base);
      ParameterSet full = base.copy();
      List<Tensor> t = full.tensors();
      List<Tensor> s = sub.tensors();
      int k = units.length;
      Checks.checkArgument(s.size() == t.size() && s.get(DENSE_B).size() == k, "sub-model of " + model.spec(),
          "8 tensors with " + k + " dense units", s.size() + " tensors");
      for (int i = 0; i < DENSE_W; i++) {
        float[] src = s.get(i).data();
        float[] dst = t.get(i).data();
        Checks.checkArgument(src.length == dst.length, "size of sub-model tensor " + s.get(i).name(), "" + dst.length,
            src.length);
        System.arraycopy(src, 0, dst, 0, dst.length);
      }
      float[] dw = t.get(DENSE_W).data();
      float[] db = t.get(DENSE_B).data();
      float[] sw = s.get(DENSE_W).data();
      float[] sb = s.get(DENSE_B).data();
      for (int j = 0; j < k; j++) {
        System.arraycopy(sw, j * f, dw, units[j] * f, f);
        db[units[j]] = sb[j];
      }
      int outputs = t.get(OUT_W).dim(0);
      int dense = model.dense();
      float[] ow = t.get(OUT_W).data();
      float[] so = s.get(OUT_W).data();
      for (int o = 0; o < outputs; o++) {
        int row = o * dense;
        int subRow = o * k;
        for (int j = 0; j < k; j++) {
          ow[row + units[j]] = so[subRow + j];
        }
      }
      System.arraycopy(s.get(OUT_B).data(), 0, t.get(OUT_B).data(), 0, outputs);
      return full;
    }

    @Override
    public TrainResult fit(ParameterSet subGlobal, TrainConfig config) {
      // the initial parameters of the sub-model's learner are overwritten by subGlobal: its seed does not matter
      try (DjlLearner l = DjlLearner.create(new CnnModel(model.conv1(), model.conv2(), units.length), data, 0,
          threads)) {
        return l.fit(subGlobal, config);
      }
    }

    @Override
    public long keptParameters() {
      int[] e = data.exampleShape();
      long c1 = model.conv1();
      long c2 = model.conv2();
      long f = c2 * (e[1] / 4) * (e[2] / 4);
      long outputs = data.numOutputs();
      long k = units.length;
      return c1 * e[0] * 25 + c1 + c2 * c1 * 25 + c2 + k * f + k + outputs * k + outputs;
    }

    @Override
    public long positionBytes() {
      return positionBytes;
    }
  }
}
