package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.core.metrics.Metrics;
import dev.starling.server.History;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.TrainingStats;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The final results table of a run: selected rounds, then a summary. */
final class ResultTable {
  private static final int MAX_ROWS = 25;

  private ResultTable() {}

  static void print(PrintStream out, History history, TrainingStats stats, double totalSeconds) {
    print(out, history, stats, totalSeconds, Task.CLASSIFICATION);
  }

  /**
   * The table for {@code task}: its headline metric column is {@code test_acc} (classification), {@code test_rmse}
   * (regression, and the summary adds MAE and R^2) or {@code test_ppl} (next-token, perplexity).
   */
  static void print(PrintStream out, History history, TrainingStats stats, double totalSeconds, Task task) {
    String headline = switch (task) {
      case CLASSIFICATION -> "test_accuracy";
      case REGRESSION -> "test_rmse";
      case NEXT_TOKEN -> "test_perplexity";
    };
    String column = switch (task) {
      case CLASSIFICATION -> "test_acc";
      case REGRESSION -> "test_rmse";
      case NEXT_TOKEN -> "test_ppl";
    };
    boolean higher = Metrics.higherIsBetter(headline);
    List<RoundRecord> rounds = history.rounds();
    out.println();
    out.printf(Locale.ROOT, "round | train_loss | test_loss | %8s | clients ok/sel |   MB up | MB down | seconds%n", column);
    out.println("------+------------+-----------+----------+----------------+---------+---------+--------");
    int step = Math.max(1, (int) Math.ceil(rounds.size() / (double) MAX_ROWS));
    long up = 0;
    long down = 0;
    double best = Double.NaN;
    int bestRound = 0;
    for (int i = 0; i < rounds.size(); i++) {
      RoundRecord r = rounds.get(i);
      up += r.bytesUp();
      down += r.bytesDown();
      double v = r.metric(headline);
      if (Double.isFinite(v) && (Double.isNaN(best) || (higher ? v > best : v < best))) {
        best = v;
        bestRound = r.round();
      }
      if (i % step == 0 || i == rounds.size() - 1) {
        out.printf(Locale.ROOT, "%5d | %10.4f | %9.4f | %8.4f | %7d/%-6d | %7.2f | %7.2f | %7.2f%n", r.round(),
            r.metric("train_loss"), r.metric("test_loss"), r.metric(headline), r.clientsSucceeded(),
            r.clientsSelected(), r.bytesUp() / 1e6, r.bytesDown() / 1e6, r.seconds());
      }
    }
    out.println();
    RoundRecord last = rounds.get(rounds.size() - 1);
    out.printf(Locale.ROOT, "rounds run           %d (%s)%n", rounds.size(), history.stopReason());
    String name = switch (task) {
      case CLASSIFICATION -> "accuracy ";
      case REGRESSION -> "RMSE     ";
      case NEXT_TOKEN -> "perplexity";
    };
    out.printf(Locale.ROOT, "final test %s %.4f%n", name, last.metric(headline));
    if (task == Task.REGRESSION) {
      out.printf(Locale.ROOT, "final test MAE       %.4f%n", last.metric("test_mae"));
      out.printf(Locale.ROOT, "final test R^2       %.4f%n", last.metric("test_r2"));
    }
    if (task == Task.NEXT_TOKEN) {
      out.printf(Locale.ROOT, "final test accuracy  %.4f (top-1)%n", last.metric("test_accuracy"));
    }
    if (Double.isFinite(last.metric("test_auc"))) {
      out.printf(Locale.ROOT, "final test AUC       %.4f%n", last.metric("test_auc"));
    }
    out.printf(Locale.ROOT, "best test %s  %.4f (round %d)%n", name, best, bestRound);
    out.printf(Locale.ROOT, "final test loss      %.4f%n", last.metric("test_loss"));
    out.printf(Locale.ROOT, "bytes up / down      %.2f MB / %.2f MB%n", up / 1e6, down / 1e6);
    out.printf(Locale.ROOT, "failed client-rounds %d%n", rounds.stream().mapToInt(r -> r.failures().size()).sum());
    int flagged = rounds.stream().mapToInt(r -> r.verdicts().size()).sum();
    if (flagged > 0) {
      out.printf(Locale.ROOT, "flagged client-rounds %d (rejected, down-weighted or clipped by the rule; see \"flagged\" in --metrics-out)%n",
          flagged);
    }
    double attackers = sum(rounds, "malicious_selected");
    if (attackers > 0) {
      out.printf(Locale.ROOT, "detection            %.0f of %.0f attacker client-rounds flagged, %.0f honest client-rounds flagged%n",
          sum(rounds, "malicious_flagged"), attackers, sum(rounds, "honest_flagged"));
    }
    out.printf(Locale.ROOT, "seconds              %.2f total, %.3f per round%n", totalSeconds,
        rounds.stream().mapToDouble(RoundRecord::seconds).average().orElse(0));
    out.printf(Locale.ROOT, "local training       %,d samples, %,.0f samples/s per worker thread%n", stats.samples(),
        stats.samplesPerWorkerSecond());
  }

  private static double sum(List<RoundRecord> rounds, String metric) {
    double s = 0;
    for (RoundRecord r : rounds) {
      double v = r.metric(metric);
      if (Double.isFinite(v)) {
        s += v;
      }
    }
    return s;
  }
}
