package dev.starling.privacy.he;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PaillierTest {
  private static Paillier.KeyPair keys;
  private static FixedBaseEncryptor fixedBase;
  private static final SecureRandom RNG = new SecureRandom();

  @BeforeAll
  static void keys() {
    keys = Paillier.generate(2048, RNG);
    fixedBase = new FixedBaseEncryptor(keys.publicKey(), RNG);
  }

  @Test
  void generate_belowMinimumKeySize_refused() {
    assertThatThrownBy(() -> Paillier.generate(1024, RNG)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 2048");
  }

  @Test
  void addition_isHomomorphicAndEncryptionRandomised() {
    Paillier.PublicKey pk = keys.publicKey();
    BigInteger a = new BigInteger("123456789012345678901234567890");
    BigInteger b = new BigInteger("987654321098765432109876543210");
    BigInteger ca = pk.encrypt(a, RNG);
    assertThat(pk.encrypt(a, RNG)).isNotEqualTo(ca);
    assertThat(keys.privateKey().decrypt(pk.add(ca, pk.encrypt(b, RNG)))).isEqualTo(a.add(b));
    assertThat(pk.bits()).isEqualTo(2048);
  }

  @Test
  void fixedBase_tableGivesTheSamePowerAsModPow_andCiphertextsDecrypt() {
    Paillier.PublicKey pk = keys.publicKey();
    assertThat(fixedBase.exponentBits()).isEqualTo(1024);
    BigInteger hs = fixedBase.base();
    for (BigInteger a : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, BigInteger.valueOf(255), BigInteger.valueOf(256),
        BigInteger.ONE.shiftLeft(1024).subtract(BigInteger.ONE), new BigInteger(1024, RNG)}) {
      assertThat(fixedBase.power(a)).as("hs^%s", a).isEqualTo(hs.modPow(a, pk.nSquared()));
    }
    BigInteger m = new BigInteger(2000, RNG);
    BigInteger c1 = fixedBase.encrypt(m, RNG);
    assertThat(fixedBase.encrypt(m, RNG)).isNotEqualTo(c1);
    assertThat(keys.privateKey().decrypt(c1)).isEqualTo(m);
    assertThat(keys.privateKey().decrypt(pk.add(c1, pk.encrypt(BigInteger.TEN, RNG)))).isEqualTo(m.add(BigInteger.TEN));
    assertThatThrownBy(() -> fixedBase.encrypt(pk.n(), RNG)).isInstanceOf(FlException.class).hasMessageContaining("[0, n)");
    PackedPaillier other = new PackedPaillier(Paillier.generate(2048, RNG).publicKey(), 16, 8.0, 4);
    assertThatThrownBy(() -> other.encrypt(new float[3], fixedBase, RNG)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fixed-base encryptor");
  }

  @Test
  void packed_sumOfClientsDecryptsToTheSum() {
    PackedPaillier pp = new PackedPaillier(keys.publicKey(), 16, 8.0, 1024);
    assertThat(pp.slotBits()).isEqualTo(31);
    assertThat(pp.slots()).isEqualTo(66);
    int len = 200;
    Random r = new Random(9);
    double[] plain = new double[len];
    BigInteger[] acc = null;
    int clients = 7;
    for (int c = 0; c < clients; c++) {
      float[] x = new float[len];
      for (int i = 0; i < len; i++) {
        x[i] = (float) Math.max(-8, Math.min(8, r.nextGaussian() * 3));
        plain[i] += x[i];
      }
      // odd clients use the fixed-base encryptor: its ciphertexts add to ordinary ones
      BigInteger[] e = c % 2 == 0 ? pp.encrypt(x, RNG) : pp.encrypt(x, fixedBase, RNG);
      assertThat(e).hasSize(pp.ciphertexts(len)).hasSize(4);
      acc = acc == null ? e : pp.add(acc, e);
    }
    double[] sum = pp.decryptSum(acc, keys.privateKey(), clients, len);
    for (int i = 0; i < len; i++) {
      assertThat(sum[i]).as("coordinate %d", i).isCloseTo(plain[i], within(clients * Math.scalb(1.0, -17) + 1e-5));
    }
  }

  @Test
  void packed_outOfRangeRejected() {
    PackedPaillier pp = new PackedPaillier(keys.publicKey(), 16, 1.0, 10);
    assertThatThrownBy(() -> pp.encrypt(new float[] {0.5f, -2f}, RNG)).isInstanceOf(FlException.class)
        .hasMessageContaining("coordinate 1");
  }

  @Test
  void splitKey_allHoldersDecryptTheSumAndFewerDoNot() {
    Paillier.PublicKey pk = keys.publicKey();
    BigInteger a = BigInteger.valueOf(40_000);
    BigInteger b = BigInteger.valueOf(2_000);
    BigInteger c = pk.add(pk.encrypt(a, RNG), pk.encrypt(b, RNG));
    java.util.List<Paillier.KeyShare> shares = Paillier.splitKey(keys.privateKey(), 3, RNG);
    java.util.List<BigInteger> partials = shares.stream().map(s -> s.partialDecrypt(c)).toList();
    assertThat(Paillier.combine(pk, partials)).isEqualTo(BigInteger.valueOf(42_000));
    assertThat(Paillier.combine(pk, partials.subList(0, 2))).isNotEqualTo(BigInteger.valueOf(42_000));
  }
}
