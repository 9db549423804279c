package dev.starling.strategy.robust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.Strategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RobustRulesTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "median | CoordinateMedian",
      "trimmed:0.1 | TrimmedMean(beta=0.1)",
      "krum:2 | Krum(f=2)",
      "Krum: 3 | Krum(f=3)",
      "multikrum:2 | MultiKrum(f=2,m=n-f)",
      "multikrum:2,5 | MultiKrum(f=2,m=5)",
      "bulyan:1 | Bulyan(f=1)",
      "normbound:3.5 | NormBounded(maxNorm=3.5) <- FedAvg(weighting=examples)"})
  void parse_validSpec_buildsDescribedStrategy(String spec, String description) {
    Strategy s = RobustRules.parse(spec);
    assertThat(s.describe()).isEqualTo(description);
    assertThat(s.requiredInput()).isEqualTo(AggregationInput.INDIVIDUAL_UPDATES);
  }

  @Test
  void parse_unknownName_listsValidForms() {
    assertThatThrownBy(() -> RobustRules.parse("geomed"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("robust strategy must be one of " + RobustRules.FORMS + ". Provided value: geomed");
  }

  @Test
  void parse_malformedNumbers_nameTheFormAndListValidForms() {
    assertThatThrownBy(() -> RobustRules.parse("krum:x")).hasMessageContaining("'krum:F' needs an integer F")
        .hasMessageContaining(RobustRules.FORMS);
    assertThatThrownBy(() -> RobustRules.parse("krum")).hasMessageContaining("'krum:F'");
    assertThatThrownBy(() -> RobustRules.parse("multikrum:2,")).hasMessageContaining("multikrum:F[,M]");
    assertThatThrownBy(() -> RobustRules.parse("trimmed:abc")).hasMessageContaining("'trimmed:BETA' needs a number BETA");
    assertThatThrownBy(() -> RobustRules.parse("median:3")).hasMessageContaining("takes no arguments");
  }

  @Test
  void parse_outOfRangeValues_reportTheConstructorCheck() {
    assertThatThrownBy(() -> RobustRules.parse("trimmed:0.7")).hasMessageContaining("beta must be in [0, 0.5)");
    assertThatThrownBy(() -> RobustRules.parse("bulyan:-1")).hasMessageContaining("f must be >= 0");
    assertThatThrownBy(() -> RobustRules.parse("normbound:0")).hasMessageContaining("maxNorm must be > 0");
  }
}
