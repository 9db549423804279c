package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;

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
}
