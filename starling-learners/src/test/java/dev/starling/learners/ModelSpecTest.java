package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelSpecTest {
  @Test
  void parse_logreg_roundTrips() {
    ModelSpec spec = ModelSpec.parse("logreg");

    assertThat(spec).isEqualTo(ModelSpec.logreg());
    assertThat(spec.id()).isEqualTo("logreg");
    assertThat(spec.hidden()).isEmpty();
    assertThat(spec.numLayers()).isEqualTo(1);
  }

  @Test
  void parse_mlp_roundTrips() {
    ModelSpec spec = ModelSpec.parse("mlp:200,200");

    assertThat(spec).isEqualTo(ModelSpec.mlp(200, 200)).hasSameHashCodeAs(ModelSpec.mlp(200, 200));
    assertThat(spec.id()).isEqualTo("mlp:200,200");
    assertThat(ModelSpec.parse(spec.id())).isEqualTo(spec);
    assertThat(spec.hidden()).containsExactly(200, 200);
    assertThat(spec.toString()).isEqualTo("mlp:200,200");
  }

  @Test
  void parse_spacesAroundWidths_canonicalIdHasNone() {
    assertThat(ModelSpec.parse("mlp: 64 , 32").id()).isEqualTo("mlp:64,32");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "mlp", "mlp:", "mlp:0", "mlp:-3", "mlp:a", "mlp:10,,5", "mlp:10,", "logreg:5", "MLP:10",
      "cnn", " logreg", "mlp:99999999999"})
  void parse_invalidSpec_throwsNamingTheSpec(String bad) {
    assertThatThrownBy(() -> ModelSpec.parse(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + bad + "'")
        .hasMessageContaining("mlp:H1,H2");
  }

  @Test
  void mlp_noOrNonPositiveWidths_throws() {
    assertThatThrownBy(ModelSpec::mlp).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logreg()");
    assertThatThrownBy(() -> ModelSpec.mlp(10, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hidden_returnsCopy() {
    ModelSpec spec = ModelSpec.mlp(5);
    spec.hidden()[0] = 99;

    assertThat(spec.hidden()).containsExactly(5);
  }

  @Test
  void initialize_mlp200x200OnMnist_hasNamedShapesAndCount() {
    ModelSpec spec = ModelSpec.parse("mlp:200,200");

    ParameterSet p = spec.initialize(784, 10, RandomSource.seeded(1));

    assertThat(p.tensors()).extracting(Tensor::name).containsExactly(
        "layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias");
    assertThat(p.get("layer0.weight").shape()).containsExactly(784, 200);
    assertThat(p.get("layer0.bias").shape()).containsExactly(200);
    assertThat(p.get("layer1.weight").shape()).containsExactly(200, 200);
    assertThat(p.get("layer2.weight").shape()).containsExactly(200, 10);
    assertThat(p.get("layer2.bias").shape()).containsExactly(10);
    long expected = 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10;
    assertThat(spec.parameterCount(784, 10)).isEqualTo(expected).isEqualTo(199_210);
    assertThat(p.size()).isEqualTo(expected);
  }

  @Test
  void initialize_logregBinary_hasOneLayerWithTwoOutputs() {
    ParameterSet p = ModelSpec.logreg().initialize(3, 2, RandomSource.seeded(1));

    assertThat(p.names()).containsExactly("layer0.weight", "layer0.bias");
    assertThat(p.get("layer0.weight").shape()).containsExactly(3, 2);
    assertThat(ModelSpec.logreg().parameterCount(3, 2)).isEqualTo(8);
  }

  @Test
  void initialize_anySeed_zeroBiasesAndWeightsWithinHeAndGlorotLimits() {
    ParameterSet p = ModelSpec.mlp(50).initialize(100, 10, RandomSource.seeded(7));

    assertThat(p.get("layer0.bias").data()).containsOnly(0f);
    assertThat(p.get("layer1.bias").data()).containsOnly(0f);
    float heLimit = (float) Math.sqrt(6.0 / 100);
    float glorotLimit = (float) Math.sqrt(6.0 / (50 + 10));
    assertThat(maxAbs(p.get("layer0.weight").data())).isLessThanOrEqualTo(heLimit).isGreaterThan(0.9f * heLimit);
    assertThat(maxAbs(p.get("layer1.weight").data())).isLessThanOrEqualTo(glorotLimit).isGreaterThan(0.9f * glorotLimit);
  }

  @Test
  void initialize_sameSeed_identicalParameters() {
    ModelSpec spec = ModelSpec.mlp(8, 4);

    ParameterSet a = spec.initialize(6, 3, RandomSource.seeded(42));
    ParameterSet b = spec.initialize(6, 3, RandomSource.seeded(42));
    ParameterSet c = spec.initialize(6, 3, RandomSource.seeded(43));

    assertThat(a).isEqualTo(b).isNotEqualTo(c);
  }

  @Test
  void checkCompatible_matchingParameters_passes() {
    ModelSpec spec = ModelSpec.mlp(4);
    ParameterSet p = spec.initialize(3, 2, RandomSource.seeded(1));

    spec.checkCompatible(p, 3, 2);
  }

  @Test
  void checkCompatible_wrongShape_throwsInvalidArgumentNamingTensor() {
    ParameterSet p = ModelSpec.mlp(4).initialize(3, 2, RandomSource.seeded(1));

    assertThatThrownBy(() -> ModelSpec.mlp(5).checkCompatible(p, 3, 2))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("'layer0.weight'")
        .hasMessageContaining("[3, 4]")
        .hasMessageContaining("[3, 5]");
    assertThatThrownBy(() -> ModelSpec.mlp(4).checkCompatible(p, 3, 3))
        .isInstanceOf(FlException.class)
        .hasMessageContaining("'layer1.weight'");
  }

  @Test
  void checkCompatible_missingOrExtraTensor_throwsInvalidArgumentNamingTensor() {
    List<Tensor> missing = new ArrayList<>(ModelSpec.mlp(4).initialize(3, 2, RandomSource.seeded(1)).tensors());
    missing.removeIf(t -> t.name().equals("layer1.bias"));
    List<Tensor> extra = new ArrayList<>(ModelSpec.logreg().initialize(3, 2, RandomSource.seeded(1)).tensors());
    extra.add(Tensor.zeros("layer1.bias", 2));

    assertThatThrownBy(() -> ModelSpec.mlp(4).checkCompatible(ParameterSet.of(missing), 3, 2))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("missing tensor 'layer1.bias'");
    assertThatThrownBy(() -> ModelSpec.logreg().checkCompatible(ParameterSet.of(extra), 3, 2))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("unexpected tensor 'layer1.bias'");
  }

  private static float maxAbs(float[] a) {
    float m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
