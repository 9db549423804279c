package dev.starling.cli;

import dev.starling.run.InvalidRunException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code starling} command. This module is the only one that reads flags, files
 * and the environment; it turns them into the library's typed configuration records.
 */
@Command(name = "starling", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Federated and decentralized model training on the JVM.",
    subcommands = {SimulateCommand.class, PeerCommand.class, EvaluateCommand.class, PredictCommand.class, BenchCommand.class, ServerCommand.class, ClientCommand.class,
        ReportCommand.class, DemoCommand.class,
        PrivacyCommand.class,
        LedgerCommand.class,
        VerticalCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** The version printed by {@code --version} and stored in model files. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--log-level", paramLabel = "LEVEL", scope = CommandLine.ScopeType.INHERIT,
      description = "Log level: error, warn, info (default), debug or trace; one line per event on standard error.")
  void logLevel(String level) {
    try {
      Logging.setLevel(level);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT, description = "Log warnings and errors only.")
  void quiet(boolean on) {
    if (on) {
      Logging.setLevel("warn");
    }
  }

  @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT, description = "Log debug messages too.")
  void verbose(boolean on) {
    if (on) {
      Logging.setLevel("debug");
    }
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int execute(String... args) {
    Logging.routeJulToSlf4j();
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println(cmd.getColorScheme().errorText("error: " + describe(ex)));
      if (System.getenv("STARLING_DEBUG") != null) {
        ex.printStackTrace(cmd.getErr());
      }
      return isUsage(ex) ? 2 : 1;
    });
    return cl.execute(args);
  }

  /**
   * Bad usage, exit code 2 as for picocli's own flag errors: a bad setting or a refused combination
   * ({@link InvalidRunException}, raised before round 1), or any other {@link IllegalArgumentException}
   * from checking flags, files named by flags or the run's plan.
   */
  private static boolean isUsage(Throwable ex) {
    return ex instanceof IllegalArgumentException;
  }

  private static String describe(Throwable ex) {
    if (ex instanceof InvalidRunException bad) {
      return "--" + bad.getMessage();
    }
    Throwable t = ex;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.io.UncheckedIOException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String msg = t.getMessage();
    return msg == null ? t.getClass().getSimpleName() : msg;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'starling simulate' or 'starling --help'");
  }

  /** Supplies the version string. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"starling " + VERSION, "Java " + Runtime.version()};
    }
  }
}
