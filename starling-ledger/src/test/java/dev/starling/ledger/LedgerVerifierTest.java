package dev.starling.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerVerifierTest {
  @TempDir
  Path dir;
  byte[] original;
  List<LedgerFile.Record> records;

  @BeforeEach
  void writeThreeBlocks() throws IOException {
    try (FileLedger l = FileLedger.open(dir, Fixtures.key(7), Fixtures.clock())) {
      for (int r = 1; r <= 3; r++) {
        l.append(Fixtures.entry(r, Fixtures.model(r - 1), Fixtures.model(r)));
      }
    }
    original = Files.readAllBytes(dir.resolve(FileLedger.FILE));
    records = LedgerFile.scan(dir.resolve(FileLedger.FILE)).records();
  }

  private int blockAt(long offset) {
    int b = -1;
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).offset() <= offset) {
        b = i;
      }
    }
    return b;
  }

  @Test
  void flippingAnyByteOfTheFileFailsVerificationNamingItsBlock() throws IOException {
    Path file = dir.resolve(FileLedger.FILE);
    for (int at = 0; at < original.length; at++) {
      Files.write(file, Fixtures.flip(original, at));
      LedgerVerifier.Result v = LedgerVerifier.verify(dir, Optional.empty());
      assertThat(v.ok()).as("flipped byte %d", at).isFalse();
      assertThat(v.badBlock()).as("flipped byte %d: %s", at, v.describe()).isEqualTo(blockAt(at));
    }
  }

  @Test
  void aRewrittenBlockWithAFreshCrcIsCaughtByItsSignatureOrEncoding() {
    // an attacker who edits a block's payload and recomputes the CRC: every byte of every block
    for (int i = 0; i < records.size(); i++) {
      byte[] payload = records.get(i).payload();
      for (int at = 0; at < payload.length; at++) {
        List<byte[]> payloads = new ArrayList<>(records.stream().map(LedgerFile.Record::payload).toList());
        payloads.set(i, Fixtures.flip(payload, at));
        LedgerVerifier.Result v = LedgerVerifier.verifyPayloads(payloads, Optional.empty());
        assertThat(v.ok()).as("block %d byte %d", i, at).isFalse();
        assertThat(v.badBlock()).as("block %d byte %d: %s", i, at, v.describe()).isEqualTo(i);
      }
    }
  }

  @Test
  void namesTheFieldThatWasChanged() {
    // byte 6 of a payload is the first byte of the index; 14..45 the previous hash
    List<byte[]> payloads = new ArrayList<>(records.stream().map(LedgerFile.Record::payload).toList());
    payloads.set(1, Fixtures.flip(payloads.get(1), 20));
    LedgerVerifier.Result v = LedgerVerifier.verifyPayloads(payloads, Optional.empty());
    assertThat(v.describe()).startsWith("block 1, field previous_hash:");
    payloads.set(1, Fixtures.flip(payloads.get(1), 20));
    payloads.set(2, Fixtures.flip(payloads.get(2), 13));
    assertThat(LedgerVerifier.verifyPayloads(payloads, Optional.empty()).describe()).startsWith("block 2, field index:");
  }

  @Test
  void aBlockResignedWithAnotherKeyIsRefused() {
    Ed25519 forger = Fixtures.key(99);
    Block b = BlockCodec.decode(records.get(1).payload());
    byte[] sig = forger.sign(BlockCodec.signedBytes(b.index(), b.previousHash(), b.timeMillis(), b.body(), forger.publicKey()));
    Block forged = new Block(b.index(), b.previousHash(), b.timeMillis(), b.body(), forger.publicKey(), sig);
    List<byte[]> payloads = new ArrayList<>(records.stream().map(LedgerFile.Record::payload).toList());
    payloads.set(1, BlockCodec.encode(forged));
    assertThat(LedgerVerifier.verifyPayloads(payloads, Optional.empty()).describe())
        .startsWith("block 1, field signer_key: differs from the key that signed block 0");
    // the whole chain re-signed by a forger passes the internal checks but not the pinned aggregator key
    assertThat(LedgerVerifier.verifyPayloads(payloads.subList(0, 1), Optional.of(forger.publicKey())).describe())
        .startsWith("block 0, field signer_key: is not the expected aggregator key");
  }

  @Test
  void aForgedSignatureIsRefused() {
    Block b = BlockCodec.decode(records.get(2).payload());
    byte[] bad = b.signature();
    bad[10] ^= 0x40;
    Block forged = new Block(b.index(), b.previousHash(), b.timeMillis(), b.body(), b.signerKey(), bad);
    List<byte[]> payloads = new ArrayList<>(records.stream().map(LedgerFile.Record::payload).toList());
    payloads.set(2, BlockCodec.encode(forged));
    assertThat(LedgerVerifier.verifyPayloads(payloads, Optional.empty()).describe())
        .startsWith("block 2, field signature:");
  }

  @Test
  void aForgedClientSignatureIsRefused() {
    // the aggregator signs a block whose participant signature a client never made
    Ed25519 aggregator = Fixtures.key(7);
    RoundEntry e = Fixtures.entry(1, Fixtures.model(0), Fixtures.model(1));
    RoundEntry.Participant p = e.participants().get(1);
    byte[] wrong = ClientSignatures.sign(Fixtures.key(55), 1, p.updateHash());
    RoundEntry.Participant forgedP = new RoundEntry.Participant(p.client(), p.updateHash(), p.examples(), p.clientKey(), wrong);
    RoundEntry forgedE = new RoundEntry(e.round(), e.configHash(), e.modelBefore(), e.modelAfter(),
        List.of(e.participants().get(0), forgedP), e.rejected(), e.flags(), e.contributionMethod(), e.contributions(),
        e.epsilonSpent());
    byte[] prev = new byte[32];
    byte[] sig = aggregator.sign(BlockCodec.signedBytes(0, prev, 0, forgedE, aggregator.publicKey()));
    Block b = new Block(0, prev, 0, forgedE, aggregator.publicKey(), sig);
    assertThat(LedgerVerifier.verifyPayloads(List.of(BlockCodec.encode(b)), Optional.empty()).describe())
        .startsWith("block 0, field participants[1].client_signature: client client-2's signature");
  }
}
