package dev.starling.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLedgerTest {
  @TempDir
  Path dir;

  private void appendRounds(int from, int to) {
    try (FileLedger l = FileLedger.open(dir, Fixtures.key(7), Fixtures.clock())) {
      for (int r = from; r <= to; r++) {
        l.append(Fixtures.entry(r, Fixtures.model(r - 1), Fixtures.model(r)));
      }
    }
  }

  @Test
  void blocksAreChainedAndSurviveReopening() throws IOException {
    appendRounds(1, 2);
    appendRounds(3, 3);
    LedgerVerifier.Result v = LedgerVerifier.verify(dir, Optional.empty());
    assertThat(v.ok()).as(v.describe()).isTrue();
    assertThat(v.blocks()).extracting(b -> b.body().round()).containsExactly(1, 2, 3);
    assertThat(v.blocks().get(2).previousHash()).isEqualTo(v.blocks().get(1).hash());
    assertThat(v.describe()).startsWith("ok: 3 blocks, rounds 1..3, 6 accepted updates (6 client-signed)");
  }

  @Test
  void aTornLastRecordIsCutOnOpenAndNoBlockIsLostOrWrittenTwice() throws IOException {
    appendRounds(1, 3);
    Path file = dir.resolve(FileLedger.FILE);
    long full = Files.size(file);
    LedgerFile.Scan scan = LedgerFile.scan(file);
    long lastStart = scan.records().get(2).offset();
    // every crash point inside the last record: its frame header or its payload, cut anywhere
    for (long cut = lastStart + 1; cut < full; cut += 37) {
      Path copy = Files.createTempDirectory(dir, "crash");
      Files.write(copy.resolve(FileLedger.FILE), java.util.Arrays.copyOf(Files.readAllBytes(file), (int) cut));
      try (FileLedger l = FileLedger.open(copy, Fixtures.key(7), Fixtures.clock())) {
        assertThat(l.blocks()).extracting(b -> b.body().round()).containsExactly(1, 2);
        l.append(Fixtures.entry(3, Fixtures.model(2), Fixtures.model(3)));
      }
      assertThat(Files.size(copy.resolve(FileLedger.FILE))).isEqualTo(full);
      assertThat(Files.readAllBytes(copy.resolve(FileLedger.FILE))).isEqualTo(Files.readAllBytes(file));
    }
  }

  @Test
  void aDamagedCompleteRecordIsRefusedNotRepaired() throws IOException {
    appendRounds(1, 2);
    Path file = dir.resolve(FileLedger.FILE);
    long at = LedgerFile.scan(file).records().get(1).offset() + LedgerFile.FRAME + 30;
    flipByte(file, at);
    assertThatThrownBy(() -> FileLedger.open(dir, Fixtures.key(7), Fixtures.clock())).isInstanceOf(FlException.class)
        .hasMessageContaining("block 1").hasMessageContaining("CRC mismatch");
  }

  @Test
  void anotherAggregatorKeyCannotExtendTheLedger() {
    appendRounds(1, 1);
    assertThatThrownBy(() -> FileLedger.open(dir, Fixtures.key(8), Fixtures.clock())).isInstanceOf(FlException.class)
        .hasMessageContaining("signed by another aggregator key");
  }

  @Test
  void aReplicaStoresTheAggregatorsBlocksOnceAndRefusesForeignOrMisplacedOnes() throws IOException {
    appendRounds(1, 3);
    java.util.List<Block> source = LedgerVerifier.verify(dir, Optional.empty()).blocks();
    Path replicaDir = dir.resolve("replica");
    try (FileLedger r = FileLedger.openReplica(replicaDir)) {
      assertThat(r.appendSigned(source.get(0))).isEqualTo(FileLedger.Outcome.APPENDED);
      assertThat(r.appendSigned(source.get(0))).isEqualTo(FileLedger.Outcome.ALREADY_HELD);
      assertThatThrownBy(() -> r.appendSigned(source.get(2))).isInstanceOf(FlException.class)
          .hasMessageContaining("block 2 does not follow the last block (0)");
      assertThat(r.appendSigned(source.get(1))).isEqualTo(FileLedger.Outcome.APPENDED);
      // another aggregator's block 1: same index, other content
      Block foreign;
      try (FileLedger other = FileLedger.open(dir.resolve("other"), Fixtures.key(8), Fixtures.clock())) {
        other.append(Fixtures.entry(1, Fixtures.model(0), Fixtures.model(1)));
        foreign = other.append(Fixtures.entry(2, Fixtures.model(1), Fixtures.model(2)));
      }
      assertThatThrownBy(() -> r.appendSigned(foreign)).isInstanceOf(FlException.class)
          .hasMessageContaining("block 1 is already held with other content");
      assertThatThrownBy(() -> r.append(Fixtures.entry(4, Fixtures.model(3), Fixtures.model(4))))
          .isInstanceOf(FlException.class).hasMessageContaining("is a replica");
    }
    try (FileLedger r = FileLedger.openReplica(replicaDir)) {
      assertThat(r.blocks()).isEqualTo(source.subList(0, 2));
      assertThat(r.appendSigned(source.get(2))).isEqualTo(FileLedger.Outcome.APPENDED);
    }
    assertThat(Files.readAllBytes(replicaDir.resolve(FileLedger.FILE))).isEqualTo(Files.readAllBytes(dir.resolve(FileLedger.FILE)));
  }

  @Test
  void aReplicaRefusesABlockWhoseSignatureDoesNotMatch() {
    appendRounds(1, 1);
    Block b = FileLedger.openReplica(dir).blocks().get(0);
    Block forged = new Block(0, b.previousHash(), b.timeMillis() + 1, b.body(), b.signerKey(), b.signature());
    try (FileLedger r = FileLedger.openReplica(dir.resolve("replica"))) {
      assertThatThrownBy(() -> r.appendSigned(forged)).isInstanceOf(FlException.class)
          .hasMessageContaining("block 0, field signature");
      assertThat(r.blocks()).isEmpty();
    }
  }

  static void flipByte(Path file, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      ch.read(b, at);
      b.flip();
      byte v = (byte) (b.get() ^ 0x01);
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {v}), at);
    }
  }
}
