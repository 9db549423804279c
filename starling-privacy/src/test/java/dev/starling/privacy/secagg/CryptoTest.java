package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CryptoTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void hkdf_matchesRfc5869TestCase1() {
    byte[] ikm = HEX.parseHex("0b".repeat(22));
    byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
    byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
    assertThat(HEX.formatHex(Crypto.hkdf(ikm, salt, info, 42)))
        .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }

  @Test
  void hkdf_matchesRfc5869TestCase3_noSaltNoInfo() {
    byte[] ikm = HEX.parseHex("0b".repeat(22));
    String expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
    assertThat(HEX.formatHex(Crypto.hkdf(ikm, null, new byte[0], 42))).isEqualTo(expected);
    assertThat(HEX.formatHex(Crypto.hkdf(ikm, new byte[0], new byte[0], 42))).isEqualTo(expected);
  }

  @Test
  void agree_bothSidesDeriveTheSameKey_andTheLabelSeparatesPurposes() {
    SecureRandom rng = new SecureRandom();
    KeyPair a = Crypto.x25519(rng);
    KeyPair b = Crypto.x25519(rng);
    byte[] ab = Crypto.agree(a.getPrivate(), b.getPublic(), "starling-secagg-mask");
    byte[] ba = Crypto.agree(b.getPrivate(), a.getPublic(), "starling-secagg-mask");
    assertThat(ab).hasSize(32).containsExactly(ba);
    assertThat(Crypto.agree(a.getPrivate(), b.getPublic(), "starling-secagg-envelope")).isNotEqualTo(ab);
    assertThat(Crypto.INFO_PREFIX).isEqualTo("starling secagg/2 ");
    assertThat(SecAggWire.PROTOCOL).isEqualTo("secagg/2");
    assertThat(Crypto.INFO_PREFIX.getBytes(StandardCharsets.UTF_8)).isNotEmpty();
  }

  @Test
  void agree_isTheJdksX25519ThenHkdf() throws Exception {
    SecureRandom rng = new SecureRandom();
    KeyPair a = Crypto.x25519(rng);
    KeyPair b = Crypto.x25519(rng);
    javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("X25519");
    ka.init(a.getPrivate());
    ka.doPhase(b.getPublic(), true);
    byte[] jdk = Crypto.hkdf(ka.generateSecret(), null, (Crypto.INFO_PREFIX + "x").getBytes(StandardCharsets.UTF_8), 32);
    assertThat(Crypto.agree(Crypto.scalar(a.getPrivate()), Crypto.rawPublic(b.getPublic().getEncoded()), "x")).containsExactly(jdk);
  }

  @Test
  void rawPublic_refusesWhatIsNotAnX509X25519Key() {
    byte[] good = Crypto.x25519(new SecureRandom()).getPublic().getEncoded();
    assertThat(Crypto.rawPublic(good)).hasSize(32);
    byte[] badPrefix = good.clone();
    badPrefix[9] ^= 1; // OID 1.3.101.110 becomes another curve's
    assertThatThrownBy(() -> Crypto.rawPublic(badPrefix)).isInstanceOf(FlException.class).hasMessageContaining("malformed X25519");
    assertThatThrownBy(() -> Crypto.rawPublic(java.util.Arrays.copyOf(good, 43))).isInstanceOf(FlException.class);
    // the all-zero point has small order: the agreement is refused, not a zero key
    assertThatThrownBy(() -> Crypto.agree(new byte[32], new byte[32], "x")).isInstanceOf(FlException.class)
        .hasMessageContaining("small-order");
  }

  @Test
  void mask_isTheAes256CtrKeyStream_andChunksAgreeWithOnePass() {
    // AES-256 of the zero block under the zero key (FIPS-197 style known answer): dc95c078a2408989ad48a21492842087
    int[] zero = new int[4];
    Crypto.addMask(zero, new byte[32], +1);
    assertThat(zero).containsExactly(0x78c095dc, 0x898940a2, 0x14a248ad, 0x87208492);
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    int n = 40_001;
    int[] whole = new int[n];
    Crypto.addMask(whole, seed, +1);
    int[] chunked = new int[n];
    Crypto.MaskStream prg = new Crypto.MaskStream();
    int[] cuts = {0, 12, 4096, 20_000, 36_864, n};
    for (int i = 0; i + 1 < cuts.length; i++) {
      prg.add(chunked, cuts[i], cuts[i + 1], seed, +1);
    }
    assertThat(chunked).containsExactly(whole);
    prg.add(chunked, 0, n, seed, -1);
    assertThat(chunked).containsOnly(0);
    assertThatThrownBy(() -> prg.add(chunked, 6, 10, seed, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multiple of 4");
  }
}
