package dev.starling.ledger;

import dev.starling.ledger.RoundEntry.Participant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Re-checks a ledger from its bytes: framing and CRC, the canonical encoding, the index sequence, the
 * hash chain, that one aggregator key signed every block (and that it is the expected key, when given),
 * every aggregator signature, every client signature, that each round starts from the model the
 * previous block committed, and that rounds and times do not go backwards. Stops at the first problem
 * and names its block and field.
 */
public final class LedgerVerifier {
  private LedgerVerifier() {}

  /**
   * The outcome. When {@code ok}, {@code blocks} holds every block; otherwise those before the bad one,
   * and {@code badBlock} (-1: the file itself), {@code field} and {@code message} say what is wrong.
   */
  public record Result(boolean ok, List<Block> blocks, long badBlock, String field, String message) {
    public Result {
      blocks = List.copyOf(blocks);
    }

    /** One line: a summary when ok, else the first problem. */
    public String describe() {
      if (!ok) {
        return (badBlock < 0 ? "ledger file" : "block " + badBlock) + ", field " + field + ": " + message;
      }
      if (blocks.isEmpty()) {
        return "ok: empty ledger";
      }
      long participants = blocks.stream().mapToLong(b -> b.body().participants().size()).sum();
      long signedUpdates = blocks.stream().flatMap(b -> b.body().participants().stream()).filter(Participant::signed).count();
      Block last = blocks.get(blocks.size() - 1);
      return "ok: " + blocks.size() + " blocks, rounds " + blocks.get(0).body().round() + ".." + last.body().round()
          + ", " + participants + " accepted updates (" + signedUpdates + " client-signed), signer "
          + Digests.hex(Digests.sha256(last.signerKey())).substring(0, 16) + ", head "
          + Digests.hex(last.hash()).substring(0, 16);
    }
  }

  /** Verifies the ledger in directory {@code dir} (or the ledger file itself). */
  public static Result verify(Path dirOrFile, Optional<byte[]> expectedSigner) throws IOException {
    Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve(FileLedger.FILE) : dirOrFile;
    if (!Files.exists(file)) {
      return new Result(false, List.of(), -1, "file", file + " does not exist");
    }
    LedgerFile.Scan scan = LedgerFile.scan(file);
    if (!scan.headerOk()) {
      return new Result(false, List.of(), -1, "header", scan.tail());
    }
    List<byte[]> payloads = new ArrayList<>();
    for (LedgerFile.Record r : scan.records()) {
      if (!r.crcOk()) {
        Result upTo = verifyPayloads(payloads, expectedSigner);
        if (!upTo.ok()) {
          return upTo;
        }
        return new Result(false, upTo.blocks(), payloads.size(), "record_crc",
            "the CRC of the record at byte " + r.offset() + " does not match its bytes");
      }
      payloads.add(r.payload());
    }
    Result all = verifyPayloads(payloads, expectedSigner);
    if (all.ok() && !scan.tail().isEmpty()) {
      return new Result(false, all.blocks(), payloads.size(), "record_length", scan.tail());
    }
    return all;
  }

  /** Verifies blocks given as their canonical bytes, in chain order (what a replicated log holds). */
  public static Result verifyPayloads(List<byte[]> payloads, Optional<byte[]> expectedSigner) {
    List<Block> good = new ArrayList<>();
    byte[] prevHash = Block.genesisParent();
    Block prev = null;
    byte[] signer = expectedSigner.map(byte[]::clone).orElse(null);
    for (int i = 0; i < payloads.size(); i++) {
      byte[] bytes = payloads.get(i);
      Block b;
      try {
        b = BlockCodec.decode(bytes);
      } catch (LedgerFormatException e) {
        return new Result(false, good, i, e.field(), "does not decode: " + e.getMessage());
      }
      if (!Arrays.equals(BlockCodec.encode(b), bytes)) {
        return new Result(false, good, i, "encoding", "not in canonical form");
      }
      if (b.index() != i) {
        return new Result(false, good, i, "index", "is " + b.index() + ", expected " + i);
      }
      if (!Arrays.equals(b.previousHash(), prevHash)) {
        return new Result(false, good, i, "previous_hash", "is " + Digests.hex(b.previousHash())
            + " but the previous block hashes to " + Digests.hex(prevHash));
      }
      if (signer == null) {
        signer = b.signerKey();
      } else if (!Arrays.equals(signer, b.signerKey())) {
        return new Result(false, good, i, "signer_key", expectedSigner.isPresent()
            ? "is not the expected aggregator key" : "differs from the key that signed block 0");
      }
      if (!Ed25519.verify(b.signerKey(), BlockCodec.signedBytes(b), b.signature())) {
        return new Result(false, good, i, "signature", "the aggregator's signature does not match the block's content");
      }
      RoundEntry e = b.body();
      List<Participant> parts = e.participants();
      for (int j = 0; j < parts.size(); j++) {
        Participant p = parts.get(j);
        if (p.signed() && !ClientSignatures.verify(p.clientKey(), e.round(), p.updateHash(), p.clientSignature())) {
          return new Result(false, good, i, "participants[" + j + "].client_signature",
              "client " + p.client() + "'s signature of (round " + e.round() + ", update hash) does not verify");
        }
      }
      if (prev != null) {
        if (e.round() <= prev.body().round()) {
          return new Result(false, good, i, "round", e.round() + " does not follow round " + prev.body().round());
        }
        if (b.timeMillis() < prev.timeMillis()) {
          return new Result(false, good, i, "time_millis", "goes back in time from block " + (i - 1));
        }
        if (!Arrays.equals(e.modelBefore(), prev.body().modelAfter())) {
          return new Result(false, good, i, "model_before", "is not the model block " + (i - 1) + " committed");
        }
      }
      good.add(b);
      prevHash = Digests.sha256(bytes);
      prev = b;
    }
    return new Result(true, good, -1, "", "");
  }
}
