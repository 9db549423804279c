package dev.starling.cli;

import dev.starling.server.History;
import dev.starling.server.RoundRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;

/**
 * Checks a command runs before round 1 (output locations it will write) and after its last round
 * (whether any round committed an update), shared by {@code simulate} and {@code server}.
 */
final class RunChecks {
  private RunChecks() {}

  /**
   * Bad usage (exit 2) unless the file {@code path}, given by {@code what} (a flag or config key), can
   * be written: its directory is created if missing and a probe file is created and deleted in it. The
   * file itself is not touched, so an existing one is neither truncated nor replaced yet.
   */
  static void requireWritableFile(CommandLine cl, String what, Path path) {
    Path parent = path.toAbsolutePath().getParent();
    if (Files.isDirectory(path)) {
      throw new CommandLine.ParameterException(cl, what + " " + path + ": is a directory, expected a file");
    }
    if (Files.exists(path) && !Files.isWritable(path)) {
      throw new CommandLine.ParameterException(cl, what + " " + path + ": the file exists and is not writable");
    }
    requireWritableDirectory(cl, what, parent, path);
  }

  /** Bad usage (exit 2) unless files can be created in directory {@code dir} (created if missing). */
  static void requireWritableDirectory(CommandLine cl, String what, Path dir) {
    requireWritableDirectory(cl, what, dir, dir);
  }

  private static void requireWritableDirectory(CommandLine cl, String what, Path dir, Path named) {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".starling-write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new CommandLine.ParameterException(cl, what + " " + named + ": cannot write there ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
  }

  /**
   * The summary line of a run in which no round committed an update (every round failed), or empty
   * if some round did or no round ran.
   */
  static Optional<String> everyRoundFailed(History history) {
    if (history.rounds().isEmpty() || history.rounds().stream().anyMatch(RoundRecord::committed)) {
      return Optional.empty();
    }
    RoundRecord last = history.last().orElseThrow();
    String why = last.failureReason().isEmpty() ? "" : " (round " + last.round() + ": " + last.failureReason() + ")";
    return Optional.of("every round failed: none of the " + history.rounds().size()
        + " rounds committed an update; the model is the initial one" + why);
  }

  /** {@code --client-metrics MAX} needs {@code --metrics-out} and a positive MAX. */
  static void checkClientMetrics(CommandLine cl, Integer max, Path metricsOut) {
    if (max == null) {
      return;
    }
    if (max < 1) {
      throw new CommandLine.ParameterException(cl, "--client-metrics must be at least 1 (rows per round), got " + max);
    }
    if (metricsOut == null) {
      throw new CommandLine.ParameterException(cl, "--client-metrics adds per-client rows to the metrics file: it needs"
          + " --metrics-out FILE");
    }
  }
}
