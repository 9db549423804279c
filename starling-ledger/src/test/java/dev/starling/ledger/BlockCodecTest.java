package dev.starling.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BlockCodecTest {
  private static final String GOLDEN = "block-v1.hex";

  private static Block goldenBlock() {
    Ed25519 aggregator = Fixtures.key(7);
    RoundEntry e = Fixtures.entry(3, Fixtures.model(2), Fixtures.model(3));
    byte[] prev = Fixtures.digest("previous block");
    long time = Fixtures.clock().millis();
    byte[] sig = aggregator.sign(BlockCodec.signedBytes(2, prev, time, e, aggregator.publicKey()));
    return new Block(2, prev, time, e, aggregator.publicKey(), sig);
  }

  @Test
  void encodingMatchesTheGoldenFileOfVersion1() throws IOException {
    byte[] bytes = BlockCodec.encode(goldenBlock());
    if (Boolean.getBoolean("ledger.golden.write")) {
      Files.writeString(Path.of("src/test/resources/dev/starling/ledger/" + GOLDEN), HexFormat.of().formatHex(bytes) + "\n");
    }
    byte[] golden;
    try (InputStream in = BlockCodecTest.class.getResourceAsStream(GOLDEN)) {
      golden = HexFormat.of().parseHex(new String(in.readAllBytes()).strip());
    }
    assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(HexFormat.of().formatHex(golden));
    Block decoded = BlockCodec.decode(golden);
    assertThat(decoded).isEqualTo(goldenBlock());
    assertThat(Ed25519.verify(decoded.signerKey(), BlockCodec.signedBytes(decoded), decoded.signature())).isTrue();
  }

  @Test
  void roundTripKeepsNaNEpsilonAndEmptyLists() {
    Ed25519 k = Fixtures.key(1);
    RoundEntry e = new RoundEntry(1, Fixtures.digest("c"), Fixtures.model(0), Fixtures.model(1),
        java.util.List.of(), java.util.List.of(), java.util.List.of(), "", java.util.List.of(), Double.NaN);
    Block b = new Block(0, new byte[32], 5, e, k.publicKey(), k.sign(new byte[] {1}));
    Block back = BlockCodec.decode(BlockCodec.encode(b));
    assertThat(back).isEqualTo(b);
    assertThat(back.body().epsilonSpent()).isNaN();
  }

  @Test
  void truncatedBytesNameTheFieldTheyStopIn() {
    byte[] bytes = BlockCodec.encode(goldenBlock());
    // magic(4) version(2) index(8) previous_hash(32): cut inside previous_hash
    byte[] cut = java.util.Arrays.copyOf(bytes, 20);
    assertThatThrownBy(() -> BlockCodec.decode(cut)).isInstanceOf(LedgerFormatException.class)
        .hasMessageContaining("previous_hash").hasMessageContaining("byte 14");
    byte[] version = Fixtures.flip(bytes, 5);
    assertThatThrownBy(() -> BlockCodec.decode(version)).isInstanceOf(LedgerFormatException.class)
        .hasMessageContaining("field version").hasMessageContaining("unsupported block version 0");
  }
}
