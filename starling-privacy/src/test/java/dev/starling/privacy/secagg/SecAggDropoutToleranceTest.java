package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The documented guarantee of {@link SecAggParams#forClients(int, double, FixedPoint, int)}: a round of k
 * clients unmasks whenever at most {@code floor(DROPOUT k)} of them drop out after sending their masked
 * input, and fails with QUORUM_NOT_MET at one more.
 */
class SecAggDropoutToleranceTest {
  private static final FixedPoint CODEC = new FixedPoint(16, 4.0, 64);
  private static final int LEN = 64;

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static Map<Integer, float[]> inputs(int k, long seed) {
    Random r = new Random(seed);
    Map<Integer, float[]> m = new TreeMap<>();
    for (int i = 0; i < k; i++) {
      float[] x = new float[LEN];
      for (int j = 0; j < LEN; j++) {
        x[j] = (float) Math.max(-4, Math.min(4, r.nextGaussian()));
      }
      m.put(i, x);
    }
    return m;
  }

  private static Set<Integer> drawDropouts(int k, int count, long seed) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      ids.add(i);
    }
    Collections.shuffle(ids, new Random(seed));
    return new TreeSet<>(ids.subList(0, count));
  }

  private static double[] expectedSum(Map<Integer, float[]> in) {
    int[] s = new int[LEN];
    for (float[] x : in.values()) {
      int[] e = CODEC.encode(x);
      for (int j = 0; j < LEN; j++) {
        s[j] += e[j];
      }
    }
    return CODEC.decode(s);
  }

  @ParameterizedTest(name = "k={0}, DROPOUT={1}")
  @CsvSource({"3, 0.0", "4, 0.2", "5, 0.2", "6, 0.3", "7, 0.3", "10, 0.3", "12, 0.25", "20, 0.4"})
  void toleratesExactlyFloorDropoutTimesK_afterMasking(int k, double dropout) {
    int tolerated = (int) Math.floor(dropout * k);
    SecAggParams p = SecAggParams.forClients(k, dropout, CODEC, LEN);
    assertThat(2 * p.threshold()).as("threshold more than k/2").isGreaterThan(k);
    Map<Integer, float[]> in = inputs(k, 31L * k);

    Set<Integer> dropped = drawDropouts(k, tolerated, 7L * k);
    InProcessSecAgg.Result r = InProcessSecAgg.run(p, in, Set.of(), dropped, seeded(k));
    // dropping after masking: their inputs are in the sum, every mask is still removed exactly
    assertThat(r.contributors()).isEqualTo(in.keySet());
    assertThat(r.sum()).containsExactly(expectedSum(in));

    Set<Integer> tooMany = drawDropouts(k, tolerated + 1, 11L * k);
    assertThatThrownBy(() -> InProcessSecAgg.run(p, in, Set.of(), tooMany, seeded(k + 1)))
        .isInstanceOf(FlException.class)
        .satisfies(e -> assertThat(((FlException) e).code()).isEqualTo(ErrorCode.QUORUM_NOT_MET))
        .hasMessageContaining("too many clients dropped out");
  }

  @ParameterizedTest(name = "k={0}, DROPOUT={1}")
  @CsvSource({"4, 0.25, 0", "10, 0.4, 3", "5, 0.4, 1", "3, 0.34, 0"})
  void refusesATolerance_thatNoThresholdAboveHalfCanKeep(int k, double dropout, int max) {
    // before: a threshold of floor(k/2) + 1 silently survived fewer drop-outs than floor(DROPOUT k)
    assertThatThrownBy(() -> SecAggParams.forClients(k, dropout, CODEC, LEN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(k + " clients per round cannot tolerate " + (int) Math.floor(dropout * k) + " drop-out(s)")
        .hasMessageContaining("at most " + max + " drop-out(s)");
  }

  @Test
  void aRoundSmallerThanPlanned_keepsASafeThreshold_andToleratesWhatItCan() {
    // planned for 10 clients at 0.3 (3 drop-outs); a round of 4 keeps t = 3 > 4/2 and survives none
    SecAggParams p = SecAggParams.forRound(4, 0.3, 0, 0, CODEC, LEN);
    assertThat(p.threshold()).isEqualTo(3);
    Map<Integer, float[]> in = inputs(4, 5);
    assertThat(InProcessSecAgg.run(p, in, Set.of(), Set.of(), seeded(3)).sum()).containsExactly(expectedSum(in));
    assertThatThrownBy(() -> InProcessSecAgg.run(p, in, Set.of(), Set.of(2), seeded(4)))
        .isInstanceOf(FlException.class).hasMessageContaining("too many clients dropped out");
    // a round the tolerance fits gets exactly the planned parameters
    assertThat(SecAggParams.forRound(10, 0.3, 0, 0, CODEC, LEN)).isEqualTo(SecAggParams.forClients(10, 0.3, CODEC, LEN));
  }

  @Test
  void inProcessSecureSum_refusesBeforeRoundOne() {
    InProcessSecureSum sum = new InProcessSecureSum(0.4, 1.0, 0, false);
    assertThatThrownBy(() -> sum.prepare(10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10 clients per round cannot tolerate 4 drop-out(s)");
  }
}
