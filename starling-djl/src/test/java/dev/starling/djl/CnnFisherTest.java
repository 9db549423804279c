package dev.starling.djl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.submodel.DroppableModel;
import dev.starling.learners.submodel.NeuronPolicy;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FisherDropout on the CNN's dense layer: the batched scores of {@link DjlLearner#unitFisher} against a reference
 * computed one example at a time, the output layer's backward done in Java.
 */
class CnnFisherTest {
  private static final String SPEC = "djl:cnn:8,16,32";
  private static final CnnModel MODEL = new CnnModel(8, 16, 32);
  private static final int N = 150; // more than one batch of 128
  private static DigitsCnn fixture;
  private static Dataset digits;
  private static LearnerFactory factory;
  private static ParameterSet full;

  @BeforeAll
  static void load() throws Exception {
    fixture = DigitsCnn.load(SPEC, N);
    digits = fixture.digits();
    factory = fixture.factory();
    full = fixture.full();
  }

  private static DroppableModel droppable() {
    return fixture.droppable();
  }

  /**
   * {@code 1/(2N) sum_n (a_nj g_nj)^2} over {@code rows}, one example at a time: {@code a} from the engine's forward
   * through the dense ReLU, {@code g = W_out^T (softmax(W_out a + b_out) - onehot(y))} in doubles.
   */
  private static double[] reference(ParameterSet p, int[] rows) {
    List<Tensor> t = p.tensors();
    float[] w = t.get(6).data();
    float[] b = t.get(7).data();
    int outputs = t.get(7).size();
    int units = MODEL.dense();
    double[] score = new double[units];
    try (DjlLearner l = DjlLearner.create(MODEL, DjlDatasets.toDjlData(MODEL, digits), 0, 1)) {
      l.load(p);
      for (int row : rows) {
        float[] a = l.activation(row, CnnModel.DENSE_ACTIVATION);
        double[] logit = new double[outputs];
        double max = Double.NEGATIVE_INFINITY;
        for (int o = 0; o < outputs; o++) {
          logit[o] = b[o];
          for (int j = 0; j < units; j++) {
            logit[o] += (double) w[o * units + j] * a[j];
          }
          max = Math.max(max, logit[o]);
        }
        double sum = 0;
        for (int o = 0; o < outputs; o++) {
          logit[o] = Math.exp(logit[o] - max);
          sum += logit[o];
        }
        for (int o = 0; o < outputs; o++) {
          logit[o] = logit[o] / sum - (o == digits.labels()[row] ? 1 : 0);
        }
        for (int j = 0; j < units; j++) {
          double g = 0;
          for (int o = 0; o < outputs; o++) {
            g += w[o * units + j] * logit[o];
          }
          double s = a[j] * g;
          score[j] += s * s;
        }
      }
    }
    for (int j = 0; j < units; j++) {
      score[j] /= 2.0 * rows.length;
    }
    return score;
  }

  private static void assertClose(double[] actual, double[] expected) {
    assertThat(actual).hasSize(expected.length);
    double max = Arrays.stream(expected).max().orElseThrow();
    assertThat(max).isPositive();
    for (int j = 0; j < expected.length; j++) {
      assertThat(Math.abs(actual[j] - expected[j])).as("unit %d: %s vs %s", j, actual[j], expected[j])
          .isLessThanOrEqualTo(1e-4 * Math.max(Math.abs(expected[j]), 1e-3 * max));
    }
  }

  @Test
  void batchedScores_equalThePerExampleReference_onEveryRow() {
    double[][] s = droppable().fisherScores(full, 512, RandomSource.seeded(3));
    assertThat(s).hasDimensions(1, 32);
    assertClose(s[0], reference(full, DigitsCnn.range(N)));
  }

  @Test
  void rowsCap_scoresTheFirstRowsOfTheSeededPermutation() {
    double[][] s = droppable().fisherScores(full, 20, RandomSource.seeded(4));
    int[] rows = Arrays.copyOf(RandomSource.seeded(4).permutation(N), 20);
    assertClose(s[0], reference(full, rows));
  }

  @Test
  void unitsWithZeroedOutgoingWeights_scoreZero_andTheFisherPolicyKeepsTheTopK() {
    ParameterSet p = full.copy();
    float[] out = p.tensors().get(6).data();
    int[] dead = {0, 5, 17, 31};
    for (int o = 0; o < 10; o++) {
      for (int j : dead) {
        out[o * 32 + j] = 0f;
      }
    }
    DroppableModel m = droppable();
    double[] s = m.fisherScores(p, 512, RandomSource.seeded(3))[0];
    for (int j : dead) {
      assertThat(s[j]).as("unit %d", j).isZero();
    }
    long live = Arrays.stream(s).filter(v -> v > 0).count();
    assertThat(live).isGreaterThanOrEqualTo(16);

    boolean[][] keep = new NeuronPolicy.Fisher(512).choose(m, p, 0.25, RandomSource.seeded(3));
    double[] sorted = s.clone();
    Arrays.sort(sorted);
    double eighth = sorted[32 - 8];
    int kept = 0;
    for (int j = 0; j < 32; j++) {
      kept += keep[0][j] ? 1 : 0;
      assertThat(keep[0][j]).as("unit %d (score %s, 8th best %s)", j, s[j], eighth).isEqualTo(s[j] >= eighth);
    }
    assertThat(kept).isEqualTo(8);
  }
}
