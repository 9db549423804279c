package dev.starling.cli;

import java.util.Locale;
import java.util.Set;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The command's one logging backend: slf4j-simple (configured by {@code simplelogger.properties}), fed by
 * SLF4J directly, by the libraries' {@code System.Logger} (slf4j-jdk-platform-logging) and by
 * {@code java.util.logging} (gRPC; jul-to-slf4j), so every event is one line on standard error.
 * The level must be set before the first logger is made, which is why flags set it while parsing.
 */
final class Logging {
  private static final Set<String> LEVELS = Set.of("error", "warn", "info", "debug", "trace", "off");
  private static volatile boolean routed;

  private Logging() {}

  /** Sets the default level (flag values error|warn|info|debug|trace|off); anything else is a usage error. */
  static void setLevel(String level) {
    String l = level.toLowerCase(Locale.ROOT);
    if (!LEVELS.contains(l)) {
      throw new IllegalArgumentException("--log-level must be one of error, warn, info, debug, trace, off. Provided value: "
          + level);
    }
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", l);
    java.util.logging.Logger.getLogger("").setLevel(switch (l) {
      case "trace" -> java.util.logging.Level.FINEST;
      case "debug" -> java.util.logging.Level.FINE;
      case "info" -> java.util.logging.Level.INFO;
      case "warn" -> java.util.logging.Level.WARNING;
      case "error" -> java.util.logging.Level.SEVERE;
      default -> java.util.logging.Level.OFF;
    });
  }

  /** Replaces java.util.logging's two-line console handler with the bridge to SLF4J (once per JVM). */
  static synchronized void routeJulToSlf4j() {
    if (!routed) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
      routed = true;
    }
  }
}
