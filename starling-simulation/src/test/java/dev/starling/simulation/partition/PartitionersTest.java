package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionersTest {

  @Test
  void parse_validSpecs_returnsConfiguredPartitioners() {
    assertThat(Partitioners.parse("iid")).isEqualTo(new IidPartitioner());
    assertThat(Partitioners.parse("dirichlet:0.5")).isEqualTo(new DirichletPartitioner(0.5));
    assertThat(Partitioners.parse("shards:2")).isEqualTo(new ShardPartitioner(2));
    assertThat(Partitioners.parse("quantity:1.5")).isEqualTo(new QuantitySkewPartitioner(1.5));
    assertThat(Partitioners.parse("by:hospital")).isEqualTo(new KeyPartitioner("hospital"));
  }

  @Test
  void parse_whitespaceAndCase_normalised() {
    assertThat(Partitioners.parse(" Dirichlet : 1e-3 ")).isEqualTo(new DirichletPartitioner(0.001));
    assertThat(Partitioners.parse("IID")).isEqualTo(new IidPartitioner());
    assertThat(Partitioners.parse("BY:State Name")).isEqualTo(new KeyPartitioner("State Name"));
    assertThat(Partitioners.parse("by:a:b")).isEqualTo(new KeyPartitioner("a:b"));
  }

  static Stream<Partitioner> partitioners() {
    return Stream.of(new IidPartitioner(), new DirichletPartitioner(0.1), new DirichletPartitioner(100),
        new DirichletPartitioner(1e-7), new DirichletPartitioner(0.3333333333333333), new ShardPartitioner(7),
        new QuantitySkewPartitioner(0), new QuantitySkewPartitioner(2.25), new KeyPartitioner("State Name"),
        new KeyPartitioner("a:b"));
  }

  @ParameterizedTest
  @MethodSource("partitioners")
  void parse_describe_roundTrips(Partitioner p) {
    assertThat(Partitioners.parse(p.describe())).isEqualTo(p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "zipf:2", "iid:1", "dirichlet", "dirichlet:", "dirichlet:abc", "dirichlet:0",
      "dirichlet:-1", "dirichlet:NaN", "shards", "shards:0", "shards:2.5", "quantity:-0.1", "quantity:Infinity",
      "by", "by:", "by:  "})
  void parse_badSpec_throwsNamingSpecAndValidForms(String spec) {
    assertThatIllegalArgumentException().isThrownBy(() -> Partitioners.parse(spec))
        .withMessageContaining("'" + spec + "'")
        .withMessageContaining("Valid forms: " + Partitioners.VALID_FORMS);
  }

  @Test
  void parse_outOfRangeValue_saysWhy() {
    assertThatIllegalArgumentException().isThrownBy(() -> Partitioners.parse("dirichlet:-1"))
        .withMessageStartingWith("Invalid partition spec 'dirichlet:-1': alpha must be > 0 and finite.");
    assertThatIllegalArgumentException().isThrownBy(() -> Partitioners.parse("shards:2.5"))
        .withMessageStartingWith("Invalid partition spec 'shards:2.5': '2.5' is not a valid integer.");
  }

  @Test
  void parse_unknownName_listsValidForms() {
    assertThatIllegalArgumentException().isThrownBy(() -> Partitioners.parse("zipf:2"))
        .withMessage("Unknown partition spec 'zipf:2'. Valid forms: iid, dirichlet:ALPHA (ALPHA > 0), "
            + "shards:K (integer K >= 1), quantity:SIGMA (SIGMA >= 0), by:COLUMN");
  }
}
