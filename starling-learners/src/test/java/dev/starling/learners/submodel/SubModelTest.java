package dev.starling.learners.submodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import dev.starling.privacy.accounting.RdpAccountant;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SubModelTest {
  private static final ModelSpec MLP4 = ModelSpec.mlp(4);

  /**
   * 2 features, 4 hidden units, 2 classes. Unit 0 is active and drives the output; unit 1 is active but
   * its outgoing weights are zero; unit 2 is never active (bias -10); unit 3 is active with small
   * outgoing weights.
   */
  static ParameterSet crafted() {
    return ParameterSet.of(
        Tensor.of("layer0.weight", new float[] {1, 1, 1, 0.5f, -1, 1, 1, 0.5f}, 2, 4),
        Tensor.of("layer0.bias", new float[] {0.5f, 0.1f, -10, 0.1f}, 4),
        Tensor.of("layer1.weight", new float[] {2, -2, 0, 0, 3, -3, 0.1f, -0.1f}, 4, 2),
        Tensor.of("layer1.bias", new float[] {0, 0}, 2));
  }

  static Dataset data(int n, long seed) {
    RandomSource rng = RandomSource.seeded(seed);
    float[] x = new float[2 * n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) rng.nextDouble();
      x[2 * i + 1] = (float) rng.nextDouble();
      y[i] = x[2 * i] > x[2 * i + 1] ? 0 : 1;
    }
    return Dataset.builder().features(x).labels(y).numFeatures(2).numClasses(2).build();
  }

  @Test
  void fisherScores_oneExample_matchHandComputedSignal() {
    // x = (1, 0), label 0: a = (1.5, 1.1, 0, 0.6); logits (3.06, -3.06); with q = 1 / (1 + e^6.12),
    // dL/dlogits = (-q, q), so g = W1 (-q, q) = (-4q, 0, -6q, -0.2q) and Delta_j = (a_j g_j)^2 / 2.
    Dataset one = Dataset.builder().features(new float[] {1, 0}).labels(new int[] {0}).numFeatures(2).numClasses(2).build();
    double[][] s = FisherScores.compute(MLP4, crafted(), one, 10, RandomSource.seeded(1));
    double q = 1 / (1 + Math.exp(6.12));
    assertThat(s[0][0]).isCloseTo(18 * q * q, Offset.offset(1e-6 * q * q * 18));
    assertThat(s[0][1]).isZero();
    assertThat(s[0][2]).isZero();
    assertThat(s[0][3]).isCloseTo(0.0072 * q * q, Offset.offset(1e-5 * q * q));
  }

  @Test
  void fisherPolicy_keepsTheUnitsThatMatter() {
    NeuronMask m = new NeuronPolicy.Fisher(512).select(MLP4, crafted(), data(200, 3), 0.5, RandomSource.seeded(2));
    assertThat(m.hidden(0)).containsExactly(true, false, false, true);
    assertThat(m.subSpec().id()).isEqualTo("mlp:2");
  }

  @Test
  void federatedDropout_keepsTheFractionAtRandom() {
    int[] sizes = ModelSpec.mlp(100, 50).layerSizes(2, 2);
    NeuronMask a = new NeuronPolicy.FederatedDropout().select(ModelSpec.mlp(100, 50), null, data(5, 1), 0.25,
        RandomSource.seeded(4));
    assertThat(a.subSizes()).containsExactly(2, 25, 13, 2);
    NeuronMask b = new NeuronPolicy.FederatedDropout().select(ModelSpec.mlp(100, 50), null, data(5, 1), 0.25,
        RandomSource.seeded(5));
    assertThat(a).isNotEqualTo(b);
    assertThat(sizes).containsExactly(2, 100, 50, 2);
  }

  @Test
  void mask_extractScatterRoundTripAndParameterMask() {
    int[] sizes = MLP4.layerSizes(2, 2);
    NeuronMask m = new NeuronMask(MLP4, sizes, new boolean[][] {{true, false, true, false}});
    ParameterSet full = crafted();
    ParameterSet sub = m.extract(full);
    assertThat(sub.get("layer0.weight").shape()).containsExactly(2, 2);
    assertThat(sub.get("layer0.weight").data()).containsExactly(1, 1, -1, 1); // columns 0 and 2
    assertThat(sub.get("layer1.weight").data()).containsExactly(2, -2, 3, -3); // rows 0 and 2
    assertThat(m.scatter(sub, full)).isEqualTo(full);
    ParameterSet mask = m.parameterMask(full);
    double ones = 0;
    for (float v : mask.flatten()) {
      ones += v;
    }
    assertThat((long) ones).isEqualTo(m.keptParameters()).isEqualTo(2 * 2 + 2 + 2 * 2 + 2);
    assertThat(mask.get("layer1.bias").data()).containsExactly(1, 1); // outputs always kept
    assertThatThrownBy(() -> new NeuronMask(MLP4, sizes, new boolean[][] {{false, false, false, false}}))
        .hasMessageContaining("kept units of hidden layer 0");
  }

  @Test
  void learner_trainsOnlyKeptCoordinatesAndReportsMaskAndBytes() {
    SubModelConfig cfg = new SubModelConfig(new NeuronPolicy.Fisher(512), 0.5, 0.5, 3, 0, 0, 1e-5, 7, true);
    ClientState state = new ClientState();
    ParameterSet global = crafted();
    Dataset d = data(100, 8);
    SubModelLearner learner = new SubModelLearner(MLP4, d, global, cfg, 0, state);
    TrainConfig train = TrainConfig.builder().localEpochs(2).batchSize(10).learningRate(0.1).build().withRound(1).withSeed(3);
    TrainResult r = learner.fit(global, train);
    ParameterSet mask = r.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow();
    float[] m = mask.flatten();
    float[] before = global.flatten();
    float[] after = r.parameters().flatten();
    int changed = 0;
    for (int i = 0; i < m.length; i++) {
      if (m[i] == 0) {
        assertThat(after[i]).as("untrained coordinate %d", i).isEqualTo(before[i]);
      } else if (after[i] != before[i]) {
        changed++;
      }
    }
    assertThat(changed).isPositive();
    assertThat(r.metrics().getOrNaN(Metrics.WIRE_BYTES_UP)).isEqualTo(4 * 12 + 2 + 2); // 12 kept, 2 positions, count
    assertThat(r.metrics().getOrNaN(Metrics.WIRE_BYTES_DOWN)).isEqualTo(4 * global.size()); // first round: full model
    assertThat(r.metrics().getOrNaN("submodel_refresh")).isEqualTo(1);
    // second participation (within K = 3): reuse the choice, receive only the sub-model
    TrainResult r2 = learner.fit(r.parameters(), train.withRound(2));
    assertThat(r2.metrics().getOrNaN("submodel_refresh")).isZero();
    assertThat(r2.metrics().getOrNaN(Metrics.WIRE_BYTES_DOWN)).isEqualTo(4 * 12 + 4);
    assertThat(r2.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow()).isEqualTo(mask);
    // K counts rounds the client takes part in, not global rounds: the 3rd participation (round 9) reuses,
    // the 4th refreshes
    assertThat(learner.fit(r2.parameters(), train.withRound(9)).metrics().getOrNaN("submodel_refresh")).isZero();
    assertThat(learner.fit(r2.parameters(), train.withRound(10)).metrics().getOrNaN("submodel_refresh")).isEqualTo(1);
  }

  @Test
  void learner_localDp_clipsAddsNoiseOnKeptCoordinatesAndAccountsEpsilon() {
    SubModelConfig cfg = new SubModelConfig(new NeuronPolicy.Fisher(512), 0.5, 0.5, 3, 0.01, 2, 1e-5, 7, true);
    ClientState state = new ClientState();
    ParameterSet global = crafted();
    SubModelLearner learner = new SubModelLearner(MLP4, data(100, 8), global, cfg, 0, state);
    TrainConfig train = TrainConfig.builder().localEpochs(1).batchSize(10).learningRate(0.5).build().withRound(1).withSeed(3);
    TrainResult r = learner.fit(global, train);
    float[] m = r.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow().flatten();
    float[] before = global.flatten();
    float[] after = r.parameters().flatten();
    for (int i = 0; i < m.length; i++) {
      if (m[i] == 0) {
        assertThat(after[i]).isEqualTo(before[i]);
      }
    }
    assertThat(r.metrics().getOrNaN("clipped")).isEqualTo(1);
    // 12 of 22 parameters kept: the effective noise multiplier is z sqrt(22/12)
    double zEff = 2 * Math.sqrt(22.0 / 12);
    assertThat(r.metrics().getOrNaN("local_noise_multiplier")).isCloseTo(zEff, Offset.offset(1e-9));
    // replacement of the client's data: sensitivity twice the clip norm, so multiplier zEff / 2; the epsilon
    // is the privacy module's RdpAccountant for (q = 1, zEff / 2, releases so far)
    RdpAccountant rdp = new RdpAccountant();
    double e1 = rdp.epsilon(1, zEff / 2, 1, 1e-5);
    assertThat(r.metrics().getOrNaN("local_epsilon")).isCloseTo(e1, Offset.offset(1e-6 * e1));
    assertThat(r.metrics().getOrNaN("local_epsilon")).isLessThan(rdp.epsilon(1, 1, 1, 1e-5));
    TrainResult r2 = learner.fit(r.parameters(), train.withRound(2));
    double e2 = rdp.epsilon(1, zEff / 2, 2, 1e-5);
    assertThat(r2.metrics().getOrNaN("local_epsilon")).isCloseTo(e2, Offset.offset(1e-6 * e2));
    for (int round = 3; round <= 10; round++) {
      r2 = learner.fit(r2.parameters(), train.withRound(round));
    }
    double e10 = rdp.epsilon(1, zEff / 2, 10, 1e-5);
    assertThat(r2.metrics().getOrNaN("local_epsilon")).isCloseTo(e10, Offset.offset(1e-6 * e10));
  }

  @Test
  void learner_localDp_noiseFollowsTheDpNoisePolicy() {
    ParameterSet global = crafted();
    TrainConfig train = TrainConfig.builder().localEpochs(1).batchSize(10).learningRate(0.5).build().withRound(1).withSeed(3);
    float[][] out = new float[4][];
    for (int i = 0; i < 4; i++) {
      boolean seeded = i < 2;
      SubModelConfig cfg = new SubModelConfig(new NeuronPolicy.Fisher(512), 0.5, 0.5, 3, 0.01, 2, 1e-5, 7, seeded);
      out[i] = new SubModelLearner(MLP4, data(100, 8), global, cfg, 0, new ClientState()).fit(global, train)
          .parameters().flatten();
    }
    // seeded: the same noise from the same (seed, round, client); secure (--dp-noise secure): fresh noise each time
    assertThat(out[0]).containsExactly(out[1]);
    assertThat(out[2]).isNotEqualTo(out[3]);
    assertThat(out[2]).isNotEqualTo(out[0]);
  }
}
