package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SecAggTest {
  private static final FixedPoint CODEC = new FixedPoint(16, 4.0, 64);

  private static Map<Integer, float[]> inputs(int n, int len, long seed) {
    Random r = new Random(seed);
    Map<Integer, float[]> m = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[len];
      for (int j = 0; j < len; j++) {
        x[j] = (float) (r.nextGaussian());
        x[j] = Math.max(-4, Math.min(4, x[j]));
      }
      m.put(i, x);
    }
    return m;
  }

  /** The exact sum of the fixed-point encodings of the given clients' inputs, decoded. */
  private static double[] expectedSum(Map<Integer, float[]> in, Set<Integer> who, int len) {
    int[] s = new int[len];
    for (int id : who) {
      int[] e = CODEC.encode(in.get(id));
      for (int j = 0; j < len; j++) {
        s[j] += e[j];
      }
    }
    return CODEC.decode(s);
  }

  @Test
  void masksCancelExactly_noDropouts() {
    Map<Integer, float[]> in = inputs(6, 1000, 1);
    SecAggParams p = SecAggParams.forClients(6, 0.3, CODEC, 1000);
    InProcessSecAgg.Result r = InProcessSecAgg.run(p, in, Set.of(), Set.of(), new SecureRandom());
    assertThat(r.contributors()).isEqualTo(in.keySet());
    assertThat(r.sum()).containsExactly(expectedSum(in, in.keySet(), 1000));
    double plain = 0;
    for (float[] x : in.values()) {
      plain += x[7];
    }
    assertThat(r.sum()[7]).isCloseTo(plain, within(6 * Math.scalb(1.0, -17)));
  }

  @Test
  void maskedInput_alone_looksNothingLikeTheInput() {
    SecAggParams p = SecAggParams.forClients(3, 0, CODEC, 500);
    SecAggServer server = new SecAggServer(p);
    SecureRandom rng = new SecureRandom();
    List<SecAggClient> cs = List.of(new SecAggClient(0, p, rng), new SecAggClient(1, p, rng), new SecAggClient(2, p, rng));
    cs.forEach(c -> server.receive(c.advertise()));
    KeyDirectory d = server.directory();
    cs.forEach(c -> server.receiveShares(c.id(), c.shareKeys(d)));
    Map<Integer, List<EncryptedShare>> inbox = server.inboxes();
    float[] zeros = new float[500];
    MaskedInput m = cs.get(0).maskInput(inbox.get(0), zeros);
    long zeroCount = java.util.Arrays.stream(m.masked()).filter(v -> v == 0).count();
    assertThat(zeroCount).isLessThan(5); // a zero input is hidden by uniform masks
  }

  @Test
  void recovery_dropoutsBeforeMaskingAndBeforeUnmasking() {
    int n = 10;
    Map<Integer, float[]> in = inputs(n, 777, 2);
    SecAggParams p = SecAggParams.forClients(n, 0.3, CODEC, 777);
    Set<Integer> dropMask = Set.of(3, 8);
    Set<Integer> dropUnmask = Set.of(5);
    InProcessSecAgg.Result r = InProcessSecAgg.run(p, in, dropMask, dropUnmask, new SecureRandom());
    Set<Integer> contributors = new java.util.TreeSet<>(in.keySet());
    contributors.removeAll(dropMask);
    assertThat(r.contributors()).isEqualTo(contributors);
    assertThat(r.sum()).containsExactly(expectedSum(in, contributors, 777));
  }

  @Test
  void secAggPlus_neighbourGraph_recoversWithDropouts() {
    int n = 20;
    Map<Integer, float[]> in = inputs(n, 300, 3);
    SecAggParams p = new SecAggParams(5, 8, 42, CODEC, 300);
    InProcessSecAgg.Result r = InProcessSecAgg.run(p, in, Set.of(1, 11), Set.of(6), new SecureRandom());
    Set<Integer> contributors = new java.util.TreeSet<>(in.keySet());
    contributors.removeAll(Set.of(1, 11));
    assertThat(r.sum()).containsExactly(expectedSum(in, contributors, 300));
  }

  @Test
  void secAggPlus_longVector_unmaskedInParallelChunks_isExact() {
    // longer than several unmasking chunks and not a multiple of 4: the chunked, parallel unmasking must
    // give the same exact sum as the clients' encodings
    int n = 12;
    int len = 2 * SecAggServer.UNMASK_GRAIN + 7;
    Map<Integer, float[]> in = inputs(n, len, 5);
    SecAggParams p = new SecAggParams(4, 6, 7, CODEC, len);
    InProcessSecAgg.Result r = InProcessSecAgg.run(p, in, Set.of(2, 9), Set.of(), new SecureRandom());
    Set<Integer> contributors = new java.util.TreeSet<>(in.keySet());
    contributors.removeAll(Set.of(2, 9));
    assertThat(r.sum()).containsExactly(expectedSum(in, contributors, len));
  }

  @Test
  void shamir_manySharesAtLargeX_roundTrip() {
    // 61 shares at x up to ~1000: the Lagrange products overflow longs and are carried in BigIntegers
    SecureRandom rng = new SecureRandom();
    byte[] secret = new byte[32];
    rng.nextBytes(secret);
    int[] xs = new int[120];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = 1 + 8 * i + (i % 3);
    }
    List<Shamir.Share> shares = new java.util.ArrayList<>(Shamir.split(secret, 61, xs, rng));
    java.util.Collections.shuffle(shares, new Random(3));
    assertThat(Shamir.combine(shares.subList(0, 61), 61, 32)).isEqualTo(secret);
    assertThat(Shamir.combine(shares.subList(50, 111), 61, 32)).isEqualTo(secret);
    byte[] wrong; // 60 shares interpolated as if the threshold were 60: garbage (usually too long), never the secret
    try {
      wrong = Shamir.combine(shares.subList(0, 60), 60, 32);
    } catch (IllegalStateException e) {
      wrong = null;
    }
    assertThat(wrong).isNotEqualTo(secret);
  }

  @Test
  void serverWithoutEnoughShares_cannotUnmask() {
    int n = 6;
    Map<Integer, float[]> in = inputs(n, 50, 4);
    SecAggParams p = new SecAggParams(4, 0, 0, CODEC, 50);
    // 3 of 6 stop answering after masking: each survivor's self mask has only 2 < 4 share holders left.
    assertThatThrownBy(() -> InProcessSecAgg.run(p, in, Set.of(), Set.of(0, 1, 2), new SecureRandom()))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUORUM_NOT_MET));
  }

  @Test
  void shamir_fewerThanThresholdShares_giveAWrongSecretOrRefuse() {
    SecureRandom rng = new SecureRandom();
    byte[] secret = new byte[32];
    rng.nextBytes(secret);
    List<Shamir.Share> shares = Shamir.split(secret, 3, new int[] {1, 2, 3, 4, 5}, rng);
    assertThat(Shamir.combine(List.of(shares.get(4), shares.get(1), shares.get(2)), 3, 32)).isEqualTo(secret);
    assertThatThrownBy(() -> Shamir.combine(shares.subList(0, 2), 3, 32)).isInstanceOf(FlException.class);
    // Interpolating only two shares as if the threshold were 2 gives garbage, not the secret.
    byte[] wrong;
    try {
      wrong = Shamir.combine(shares.subList(0, 2), 2, 32);
    } catch (IllegalStateException e) {
      wrong = null;
    }
    assertThat(wrong).isNotEqualTo(secret);
  }

  @Test
  void client_refusesToRevealBothSecretsOfOneClient() {
    SecAggParams p = SecAggParams.forClients(4, 0.2, CODEC, 10);
    SecAggServer server = new SecAggServer(p);
    SecureRandom rng = new SecureRandom();
    List<SecAggClient> cs = List.of(new SecAggClient(0, p, rng), new SecAggClient(1, p, rng), new SecAggClient(2, p, rng),
        new SecAggClient(3, p, rng));
    cs.forEach(c -> server.receive(c.advertise()));
    KeyDirectory d = server.directory();
    cs.forEach(c -> server.receiveShares(c.id(), c.shareKeys(d)));
    Map<Integer, List<EncryptedShare>> inbox = server.inboxes();
    cs.forEach(c -> server.receiveMasked(c.maskInput(inbox.get(c.id()), new float[10])));
    UnmaskRequest evil = new UnmaskRequest(Set.of(1), Set.of(0, 1, 2, 3));
    assertThatThrownBy(() -> cs.get(0).unmask(evil)).isInstanceOf(FlException.class).hasMessageContaining("both dropped and surviving");
  }

  @Test
  void fixedPoint_outOfRangeRejectedAndOverflowConfigRefused() {
    assertThatThrownBy(() -> CODEC.encode(new float[] {0, 5})).isInstanceOf(FlException.class).hasMessageContaining("coordinate 1");
    assertThatThrownBy(() -> new FixedPoint(24, 100, 100)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overflow");
  }
}
