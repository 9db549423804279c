package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling vertical psi}: the private set intersection of this party's ids with the other party's. */
@Command(name = "psi", mixinStandardHelpOptions = true,
    description = {"ECDH private set intersection (P-256) of record ids with the other party: each learns the common ids",
        "and the other's set size, nothing else. The listening party leads."})
final class VerticalPsiCommand implements Callable<Integer> {
  @Option(names = "--ids", required = true, paramLabel = "FILE", description = "This party's ids, one per line.")
  Path ids;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the common ids (sorted, one per line).")
  Path out;

  @Mixin
  VerticalCommand.LinkOptions link = new VerticalCommand.LinkOptions();

  @Override
  public Integer call() throws IOException {
    link.validate();
    List<String> mine = readIds(ids);
    PsiParty self = new PsiParty(ids.getFileName().toString(), mine, RandomSource.secure());
    long t0 = System.nanoTime();
    List<String> common;
    try (PartyLink l = link.open()) {
      common = link.leads() ? Psi.lead(self, l) : Psi.follow(self, l);
      System.out.printf(Locale.ROOT, "PSI: %d own ids, %d common; %.1f s, %.2f MB sent, %.2f MB received%n", mine.size(),
          common.size(), (System.nanoTime() - t0) / 1e9, l.bytesSent() / 1e6, l.bytesReceived() / 1e6);
    } finally {
      link.close();
    }
    AtomicText.write(out, String.join("\n", common) + (common.isEmpty() ? "" : "\n"));
    System.out.println("common ids written to " + out);
    return 0;
  }

  /** Ids from a file, one per non-blank line; duplicates are refused naming the line (exit 2). */
  static List<String> readIds(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read ids file " + file);
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String id = lines.get(i).strip();
      if (id.isEmpty()) {
        continue;
      }
      Integer first = seen.putIfAbsent(id, i + 1);
      if (first != null) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": id '" + id + "' already on line " + first);
      }
      out.add(id);
    }
    return out;
  }

  /** Writes text atomically (temporary file, then rename). */
  static final class AtomicText {
    private AtomicText() {}

    static void write(Path target, String text) throws IOException {
      Path abs = target.toAbsolutePath();
      Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
