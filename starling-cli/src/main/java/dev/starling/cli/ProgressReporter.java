package dev.starling.cli;

import dev.starling.core.message.ClientId;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows progress: on a terminal, one progress bar per round that fills as the selected clients finish;
 * otherwise (a pipe, a CI log) one plain line per round.
 */
final class ProgressReporter implements RoundListener, AutoCloseable {
  private final boolean tty;
  private final PrintStream out;
  private final int rounds;
  private ProgressBar bar;

  ProgressReporter(boolean tty, PrintStream out, int rounds) {
    this.tty = tty;
    this.out = out;
    this.rounds = rounds;
  }

  /** Whether standard output is an interactive terminal. */
  static boolean isTerminal() {
    return System.console() != null && System.getenv("CI") == null;
  }

  @Override
  public synchronized void onRoundStart(int round, int clientsSelected) {
    if (tty) {
      bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "round %d/%d", round, rounds))
          .setInitialMax(clientsSelected).setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" clients", 1)
          .setConsumer(new ConsoleProgressBarConsumer(out)).continuousUpdate().build();
    }
  }

  @Override
  public synchronized void onClientDone(int round, ClientId client, boolean success) {
    if (bar != null) {
      bar.step();
    }
  }

  @Override
  public synchronized void onRoundEnd(RoundRecord r) {
    String line = String.format(Locale.ROOT, "round %d/%d  train_loss %.4f  test_loss %.4f  test_acc %.4f  clients %d/%d  %.2fs",
        r.round(), rounds, r.metric("train_loss"), r.metric("test_loss"), r.metric("test_accuracy"),
        r.clientsSucceeded(), r.clientsSelected(), r.seconds());
    if (bar != null) {
      bar.setExtraMessage(String.format(Locale.ROOT, " acc %.4f", r.metric("test_accuracy")));
      bar.close();
      bar = null;
    } else {
      out.println(line);
    }
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
