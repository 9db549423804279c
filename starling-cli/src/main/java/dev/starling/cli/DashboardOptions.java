package dev.starling.cli;

import dev.starling.dashboard.Dashboard;
import dev.starling.dashboard.DashboardSettings;
import dev.starling.ledger.Block;
import dev.starling.ledger.Ledger;
import java.io.PrintStream;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --dashboard PORT}, {@code --dashboard-host}, {@code --dashboard-token} (or
 * {@code $STARLING_DASHBOARD_TOKEN}) on {@code simulate} and {@code server}: the live dashboard.
 */
final class DashboardOptions {
  static final String TOKEN_ENV = "STARLING_DASHBOARD_TOKEN";

  @Option(names = "--dashboard", paramLabel = "PORT", description = "Serve a live, read-only dashboard of the run at"
      + " http://HOST:PORT/ (0 = any free port; the address is printed).")
  Integer port;

  @Option(names = "--dashboard-host", paramLabel = "ADDR", description = "The address the dashboard binds. Default: 127.0.0.1;"
      + " any other address needs a token.")
  String host;

  @Option(names = "--dashboard-token", paramLabel = "TOKEN", description = "Secret every dashboard request must carry (at least "
      + DashboardSettings.MIN_TOKEN_LENGTH + " characters; also $" + TOKEN_ENV + "). Generated and printed when the dashboard"
      + " is bound to a non-loopback address without one.")
  String token;

  /** Whether {@code --dashboard} was given. */
  boolean on() {
    return port != null;
  }

  /**
   * The dashboard's settings, refusing bad flags as usage errors (exit 2) before any training; null without
   * {@code --dashboard}. A dashboard bound elsewhere without a token gets a new random one.
   */
  DashboardSettings settings(CommandLine cmd, String title, int rounds, OptionalDouble targetEpsilon, boolean ledger) {
    String t = token != null ? token : System.getenv(TOKEN_ENV);
    if (port == null) {
      if (host != null || token != null) {
        throw new CommandLine.ParameterException(cmd, (host != null ? "--dashboard-host" : "--dashboard-token")
            + " needs --dashboard PORT");
      }
      return null;
    }
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(cmd, "--dashboard must be a TCP port in [0, 65535], got " + port);
    }
    String h = host == null ? "127.0.0.1" : host;
    try {
      if (t == null && !DashboardSettings.isLoopback(h)) {
        t = Dashboard.newToken();
      }
      return new DashboardSettings(h, port, Optional.ofNullable(t), title, rounds, targetEpsilon, ledger);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cmd, (token != null ? "--dashboard-token: " : "--dashboard: ") + e.getMessage());
    }
  }

  /** Starts the dashboard (null settings: none) and prints its address. */
  static Dashboard start(DashboardSettings s, IntSupplier connected, Ledger ledger, PrintStream out) {
    if (s == null) {
      return null;
    }
    Supplier<Optional<String>> head = () -> ledger == null ? Optional.empty() : ledger.last().map(DashboardOptions::describe);
    Dashboard d = Dashboard.start(s, connected, head);
    out.println("dashboard " + d.url());
    return d;
  }

  private static String describe(Block b) {
    return "block " + b.index() + ", hash " + HexFormat.of().formatHex(b.hash()).substring(0, 16) + "...";
  }
}
