package dev.starling.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.learners.submodel.DroppableModel;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.learners.submodel.SubModelLearner;
import dev.starling.learners.submodel.UnitSubModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Federated Dropout on the CNN's dense layer: extraction, scatter and the trained mask on DJL's parameter layout. */
class CnnSubModelTest {
  private static final String SPEC = "djl:cnn:4,8,16";
  private static DigitsCnn fixture;
  private static Dataset digits;
  private static LearnerFactory factory;
  private static ParameterSet full;

  @BeforeAll
  static void load() throws Exception {
    fixture = DigitsCnn.load(SPEC, 120);
    digits = fixture.digits();
    factory = fixture.factory();
    full = fixture.full();
  }

  private static DroppableModel droppable() {
    return fixture.droppable();
  }

  /**
   * Asserts that every coordinate the mask marks untrained (0) equals the initial model's; returns how many trained
   * coordinates changed.
   */
  private static long untouchedWhereUntrained(ParameterSet after, ParameterSet mask) {
    long changed = 0;
    for (int k = 0; k < full.tensors().size(); k++) {
      float[] before = full.tensors().get(k).data();
      float[] a = after.tensors().get(k).data();
      float[] m = mask.tensors().get(k).data();
      for (int i = 0; i < before.length; i++) {
        if (m[i] == 0f) {
          assertThat(a[i]).as("untrained tensor %d [%d]", k, i).isEqualTo(before[i]);
        } else if (a[i] != before[i]) {
          changed++;
        }
      }
    }
    return changed;
  }

  private static SubModelConfig fd(double keep, double dpClip, double dpNoise) {
    return new SubModelConfig(new NeuronPolicy.FederatedDropout(), keep, keep, 5, dpClip, dpNoise, 1e-5, 7, true);
  }

  @Test
  void djlLayout_isConvolutionsThenDenseRowsPerUnitThenOutputColumnsPerUnit() {
    List<Tensor> t = full.tensors();
    assertThat(t).hasSize(8);
    // 8x8 digits: two 2x2 poolings leave 2x2 maps of 8 channels, F = 32 inputs per dense unit
    assertThat(t.get(0).shape()).containsExactly(4, 1, 5, 5);
    assertThat(t.get(2).shape()).containsExactly(8, 4, 5, 5);
    assertThat(t.get(4).shape()).containsExactly(16, 32);
    assertThat(t.get(5).shape()).containsExactly(16);
    assertThat(t.get(6).shape()).containsExactly(10, 16);
    assertThat(t.get(7).shape()).containsExactly(10);
  }

  @Test
  void keepAll_extractsTheFullModelBitForBit_andScattersItBack() {
    boolean[][] all = {new boolean[16]};
    Arrays.fill(all[0], true);
    UnitSubModel sub = droppable().subModel(all);
    ParameterSet extracted = sub.extract(full);
    assertThat(extracted).isEqualTo(full);
    assertThat(sub.scatter(extracted, full.zerosLike())).isEqualTo(full);
    assertThat(sub.keptParameters()).isEqualTo(full.size());
    assertThat(sub.parameterMask(full).tensors()).allSatisfy(m -> assertThat(m.data()).containsOnly(1f));
  }

  @Test
  void keepHalf_scatterChangesExactlyTheMaskedCoordinates_whichAreTheKeptUnitsRowsAndColumns() {
    boolean[][] keep = {new boolean[16]};
    int[] kept = {1, 2, 5, 8, 9, 11, 14, 15};
    for (int u : kept) {
      keep[0][u] = true;
    }
    UnitSubModel sub = droppable().subModel(keep);
    ParameterSet extracted = sub.extract(full);
    assertThat(extracted.tensors().get(4).shape()).containsExactly(8, 32);
    assertThat(extracted.tensors().get(6).shape()).containsExactly(10, 8);
    assertThat(extracted.tensors().get(4).data()).startsWith(Arrays.copyOfRange(full.tensors().get(4).data(), 32, 64));
    // every sub-model coordinate moved by +1, then scattered: the full model changes exactly where the mask is 1
    ParameterSet moved = extracted.map(t -> {
      float[] v = t.data().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] += 1f;
      }
      return Tensor.of(t.name(), v, t.shape());
    });
    ParameterSet back = sub.scatter(moved, full);
    ParameterSet mask = sub.parameterMask(full);
    long ones = 0;
    for (int k = 0; k < 8; k++) {
      float[] before = full.tensors().get(k).data();
      float[] after = back.tensors().get(k).data();
      float[] m = mask.tensors().get(k).data();
      for (int i = 0; i < before.length; i++) {
        assertThat(after[i]).as("tensor %d [%d]", k, i).isEqualTo(m[i] == 1f ? before[i] + 1f : before[i]);
        ones += m[i] == 1f ? 1 : 0;
      }
    }
    assertThat(ones).isEqualTo(sub.keptParameters()).isEqualTo(extracted.size());
    // dense weight: the rows of kept units; output weight: their columns; conv parameters and output bias all
    float[] denseMask = mask.tensors().get(4).data();
    float[] outMask = mask.tensors().get(6).data();
    for (int u = 0; u < 16; u++) {
      float expected = keep[0][u] ? 1f : 0f;
      assertThat(Arrays.copyOfRange(denseMask, u * 32, u * 32 + 32)).containsOnly(expected);
      assertThat(mask.tensors().get(5).data()[u]).isEqualTo(expected);
      for (int o = 0; o < 10; o++) {
        assertThat(outMask[o * 16 + u]).isEqualTo(expected);
      }
    }
    assertThat(mask.tensors().get(7).data()).containsOnly(1f);
  }

  @Test
  void subModelLearner_trainsTheHalfSizedCnn_andLeavesDroppedCoordinatesUntouched() {
    SubModelLearner learner = SubModelCapable.learner(factory, fixture.context(), digits, full,
        fd(0.5, 0, 0), 3, new ClientState());
    TrainResult r = learner.fit(full, TrainConfig.builder().round(1).batchSize(10).learningRate(0.05).momentum(0.9)
        .seed(4).build());
    ParameterSet mask = r.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow();
    assertThat(untouchedWhereUntrained(r.parameters(), mask)).isGreaterThan(full.size() / 2);
    // 8 of 16 dense units: 912 conv + 8*32+8 dense + 10*8+10 output of 1,610 parameters
    assertThat(r.metrics().getOrNaN("submodel_fraction")).isEqualTo(1266.0 / 1610);
    assertThat(r.metrics().getOrNaN("wire_bytes_up")).isEqualTo(4 * 1266 + 2 + 8);
    // the same (seed, round, client) draws the same units, as the built-in MLP's path does
    TrainResult again = SubModelCapable.learner(factory, fixture.context(), digits, full,
        fd(0.5, 0, 0), 3, new ClientState()).fit(full, TrainConfig.builder().round(1).batchSize(10).learningRate(0.05)
        .momentum(0.9).seed(4).build());
    assertThat(again.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow()).isEqualTo(mask);
  }

  @Test
  void localDp_carriesOver_noisingExactlyTheKeptCoordinatesAndReportingEpsilon() {
    SubModelLearner learner = SubModelCapable.learner(factory, fixture.context(), digits, full,
        fd(0.5, 1.0, 0.5), 3, new ClientState());
    TrainResult r = learner.fit(full, TrainConfig.builder().round(1).batchSize(10).learningRate(0.05).seed(4).build());
    ParameterSet mask = r.attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow();
    untouchedWhereUntrained(r.parameters(), mask);
    assertThat(r.metrics().getOrNaN("local_epsilon")).isPositive().isFinite();
    assertThat(r.metrics().getOrNaN("local_noise_multiplier")).isEqualTo(0.5 / Math.sqrt(1266.0 / 1610));
  }

  @Test
  void refusals_nameTheReason() {
    assertThat(SubModelCapable.refusal(factory, fd(0.5, 0, 0))).isEmpty();
    SubModelConfig fisher = new SubModelConfig(new NeuronPolicy.Fisher(64), 0.5, 0.5, 2, 0, 0, 1e-5, 7, false);
    assertThat(SubModelCapable.refusal(factory, fisher)).isEmpty();
    assertThat(SubModelCapable.refusal(Learners.parse("djl:lstm:8,16,1"), fisher)).get().asString()
        .contains("not supported");
    assertThat(SubModelCapable.refusal(Learners.parse("djl:transformer:1,16,2"), fisher)).get().asString()
        .contains("not supported");
    assertThat(SubModelCapable.refusal(Learners.parse("djl:mlp:8"), fisher)).get().asString()
        .contains("mlp:H1,...");
    assertThat(SubModelCapable.refusal(Learners.parse("djl:lstm:8,16,1"), fd(0.5, 0, 0))).get().asString()
        .contains("tied across its four gates and every time step").contains("not supported");
    assertThat(SubModelCapable.refusal(Learners.parse("djl:transformer:1,16,2"), fd(0.5, 0, 0))).get().asString()
        .contains("not supported");
    assertThatThrownBy(() -> SubModelCapable.learner(Learners.parse("djl:mlp:8"), fixture.context(),
        digits, full, fd(0.5, 0, 0), 0, new ClientState())).hasMessageContaining("djl:mlp:8")
        .hasMessageContaining("mlp:H1,...");
  }
}
