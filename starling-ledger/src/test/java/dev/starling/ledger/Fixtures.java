package dev.starling.ledger;

import dev.starling.ledger.RoundEntry.Contribution;
import dev.starling.ledger.RoundEntry.Flag;
import dev.starling.ledger.RoundEntry.Participant;
import dev.starling.ledger.RoundEntry.Rejection;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;

/** Deterministic keys, clocks and round entries for the ledger tests. */
final class Fixtures {
  private Fixtures() {}

  /** A "random" source that always yields the same bytes, so Ed25519 keys (and signatures) are fixed. */
  static SecureRandom fixedRandom(int seed) {
    return new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (seed * 31 + i * 7);
        }
      }
    };
  }

  static Ed25519 key(int seed) {
    return Ed25519.generate(fixedRandom(seed));
  }

  static Clock clock() {
    return Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  }

  static byte[] digest(String s) {
    return Digests.sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Round {@code round} moving the model from {@code before} to {@code after}, two clients signing. */
  static RoundEntry entry(int round, byte[] before, byte[] after) {
    Ed25519 c1 = key(101);
    Ed25519 c2 = key(102);
    byte[] u1 = digest("update-1-" + round);
    byte[] u2 = digest("update-2-" + round);
    return new RoundEntry(round, digest("config"), before, after,
        List.of(new Participant("client-1", u1, 120, c1.publicKey(), ClientSignatures.sign(c1, round, u1)),
            new Participant("client-2", u2, 80, c2.publicKey(), ClientSignatures.sign(c2, round, u2))),
        List.of(new Rejection("client-3", "INVALID_ARGUMENT", "tensor w has NaN")),
        List.of(new Flag("client-2", "down-weighted", "weight 0.5")),
        "loo", List.of(new Contribution("client-1", 0.03, 0.75), new Contribution("client-2", 0.01, 0.25)),
        round * 0.5);
  }

  /** Models m0, m1, ...: the digest of "model-i". */
  static byte[] model(int i) {
    return digest("model-" + i);
  }

  static byte[] flip(byte[] b, int at) {
    byte[] c = Arrays.copyOf(b, b.length);
    c[at] ^= 0x01;
    return c;
  }
}
