package dev.starling.vertical.psi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

class HashToCurveTest {
  private static final HashToCurve QUUX = new HashToCurve("QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_");

  /** RFC 9380 appendix J.1.1, P256_XMD:SHA-256_SSWU_RO_. */
  @Test
  void hash_rfc9380Vectors_match() {
    ECPoint empty = QUUX.hash(new byte[0]);
    assertThat(empty.getAffineXCoord().toBigInteger().toString(16))
        .isEqualTo("2c15230b26dbc6fc9a37051158c95b79656e17a1a920b11394ca91c44247d3e4");
    assertThat(empty.getAffineYCoord().toBigInteger().toString(16))
        .isEqualTo("8a7a74985cc5c776cdfe4b1f19884970453912e9d31528c060be9ab5c43e8415");
    ECPoint abc = QUUX.hash("abc".getBytes(StandardCharsets.US_ASCII));
    assertThat(abc.getAffineXCoord().toBigInteger().toString(16))
        .isEqualTo("bb8b87485551aa43ed54f009230450b492fead5f1cc91658775dac4a3388a0f");
    assertThat(abc.getAffineYCoord().toBigInteger().toString(16))
        .isEqualTo("5c41b3d0731a27a7b14bc0bf0ccded2d8751f83493404c84a88e71ffd424212e");
  }

  @Test
  void hash_differentTags_giveDifferentPoints() {
    byte[] m = "id-1".getBytes(StandardCharsets.US_ASCII);
    assertThat(new HashToCurve("A").hash(m)).isNotEqualTo(new HashToCurve("B").hash(m));
    assertThat(QUUX.hash(m).isValid()).isTrue();
  }
}
