package dev.starling.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code starling bench}: measurements and paper reproductions that print tables. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measurements and paper reproductions; each prints a table.",
    subcommands = {StrategyBench.class, CompressionBench.class, PrivacyBench.class, AggregateBench.class, ScaleBench.class,
        TransportBench.class, SecAggBench.class, SecAggGrpcBench.class, SyncBench.class, DeepBench.class, ContributionBench.class, P2pBench.class, VerticalBench.class,
        CommandLine.HelpCommand.class})
final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing bench: try 'starling bench strategies'");
  }
}
