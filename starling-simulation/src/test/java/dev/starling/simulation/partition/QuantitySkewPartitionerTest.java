package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuantitySkewPartitionerTest {

  /** Mean over seeds 1..5 of the coefficient of variation of client sizes (100 clients, 10000 rows). */
  private static double meanSizeCv(double sigma) {
    Dataset data = PartitionFixtures.balanced(10_000, 10);
    double sum = 0;
    for (long seed = 1; seed <= 5; seed++) {
      List<ClientShard> shards = new QuantitySkewPartitioner(sigma).partition(data, 100, RandomSource.seeded(seed));
      sum += PartitionFixtures.coefficientOfVariation(PartitionFixtures.sizes(shards));
    }
    return sum / 5;
  }

  @Test
  void partition_largerSigma_largerSizeVariation() {
    double cv0 = meanSizeCv(0);
    double cv05 = meanSizeCv(0.5);
    double cv1 = meanSizeCv(1);
    double cv2 = meanSizeCv(2);

    assertThat(cv0).isLessThan(0.01);
    // The lognormal weights have cv sqrt(exp(sigma^2) - 1): 0.53 for sigma = 0.5, 1.31 for sigma = 1.
    assertThat(cv05).isBetween(0.35, 0.75);
    assertThat(cv1).isBetween(0.8, 2.0);
    assertThat(cv2).isGreaterThan(cv1);
  }

  @Test
  void partition_sigmaZero_nearEqualSizes() {
    Dataset data = PartitionFixtures.balanced(1003, 10);
    int[] sizes = PartitionFixtures.sizes(new QuantitySkewPartitioner(0).partition(data, 10, RandomSource.seeded(1)));

    assertThat(Arrays.stream(sizes).max().orElseThrow() - Arrays.stream(sizes).min().orElseThrow()).isLessThanOrEqualTo(1);
  }

  @Test
  void partition_sigmaOne_labelsIid() {
    Dataset data = PartitionFixtures.balanced(20_000, 10);
    for (long seed = 1; seed <= 5; seed++) {
      List<ClientShard> shards = new QuantitySkewPartitioner(1).partition(data, 10, RandomSource.seeded(seed));

      // Independence of client and label: statistic about (10 - 1) * (10 - 1) = 81, sd about 13.
      assertThat(PartitionFixtures.chiSquare(data, shards)).isLessThan(2 * 81);
    }
  }

  @Test
  void partition_hugeSigma_everyClientStillHasARow() {
    Dataset data = PartitionFixtures.balanced(1000, 10);
    for (long seed = 1; seed <= 5; seed++) {
      List<ClientShard> shards = new QuantitySkewPartitioner(50).partition(data, 100, RandomSource.seeded(seed));

      assertThat(Arrays.stream(PartitionFixtures.sizes(shards)).min().orElseThrow()).isPositive();
      PartitionFixtures.assertDisjointCover(shards, 1000);
    }
  }

  @Test
  void constructor_invalidSigma_throws() {
    assertThatIllegalArgumentException().isThrownBy(() -> new QuantitySkewPartitioner(-0.1))
        .withMessage("sigma must be >= 0 and finite. Provided value: -0.1");
    assertThatIllegalArgumentException().isThrownBy(() -> new QuantitySkewPartitioner(Double.NaN));
  }

  @Test
  void describe_sigma_plainDecimal() {
    assertThat(new QuantitySkewPartitioner(1.5).describe()).isEqualTo("quantity:1.5");
    assertThat(new QuantitySkewPartitioner(2).describe()).isEqualTo("quantity:2");
    assertThat(new QuantitySkewPartitioner(-0.0).describe()).isEqualTo("quantity:0");
  }
}
