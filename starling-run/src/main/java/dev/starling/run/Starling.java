package dev.starling.run;

import dev.starling.data.Dataset;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.util.function.UnaryOperator;

/**
 * Starling as a library: static entry points over {@link RunSpec}. Build a spec from
 * {@link RunSpec#defaults()} with its {@code with...} methods; a bad setting or an unworkable feature
 * combination throws {@link InvalidRunException} before round 1.
 *
 * <p>The model is the spec's {@code model} ({@code logreg}, {@code mlp:H1,...}, or a name a
 * {@link dev.starling.learners.LearnerProvider} on the class path adds), or any {@link LearnerFactory} given
 * directly, e.g. {@code (ctx, data) -> new MyLearner(ctx, data)}.
 *
 * <pre>{@code
 * // in one JVM
 * RunSpec spec = RunSpec.defaults().withStrategy("fedadam").withLoop(RunSpec.Loop.defaults().withRounds(50));
 * RoundLoop.Result r = Starling.simulate(spec, train, test);
 *
 * // over the network: a server ...
 * try (NetworkedRun server = Starling.server(spec, MyLearner::new, test, ServerSettings.loopback(7000, "", ""))) {
 *   RoundLoop.Result r = server.run(RoundListener.NONE);
 * }
 * // ... and, in each client's process, its own rows
 * try (FederationClient client = Starling.client(ClientSettings.of("server", 7000, "alice"), MyLearner::new, rows, 1)) {
 *   client.run();
 * }
 * }</pre>
 */
public final class Starling {
  private Starling() {}

  /**
   * Simulates {@code spec} in this JVM: {@code train} is partitioned among the spec's clients, the
   * server evaluates on {@code test}; one worker thread per core, no standardisation.
   */
  public static RoundLoop.Result simulate(RunSpec spec, Dataset train, Dataset test) {
    return simulate(spec, train, test, RoundListener.NONE);
  }

  /** As {@link #simulate(RunSpec, Dataset, Dataset)}, reporting every round to {@code listener}. */
  public static RoundLoop.Result simulate(RunSpec spec, Dataset train, Dataset test, RoundListener listener) {
    return simulate(spec, Learners.parse(spec.model()), train, test, listener);
  }

  /**
   * As {@link #simulate(RunSpec, Dataset, Dataset, RoundListener)}, every client and the server's evaluation using
   * learners made by {@code learner} (the spec's {@code model} is not used).
   */
  public static RoundLoop.Result simulate(RunSpec spec, LearnerFactory learner, Dataset train, Dataset test,
      RoundListener listener) {
    try (SimulatedRun run = SimulatedRun.create(spec, learner, train, test, Runtime.getRuntime().availableProcessors(),
        false, UnaryOperator.identity())) {
      return run.run(listener);
    }
  }

  /**
   * A networked server for {@code spec}, listening at {@code address}'s host and port (port 0: any free one, see
   * {@link NetworkedRun#port()}) with its TLS, tokens and limits. The initial model and the per-round test metrics
   * come from {@code learner}'s learners on {@code test}; clients are told {@link LearnerFactory#id()} and the
   * spec's strategy (the model and strategy in {@code address} are replaced). Call {@link NetworkedRun#run}, then
   * close it.
   */
  public static NetworkedRun server(RunSpec spec, LearnerFactory learner, Dataset test, ServerSettings address) {
    return NetworkedRun.start(spec, learner, test, address);
  }

  /** As {@link #server(RunSpec, LearnerFactory, Dataset, ServerSettings)} with the spec's {@code model}. */
  public static NetworkedRun server(RunSpec spec, Dataset test, ServerSettings address) {
    return server(spec, Learners.parse(spec.model()), test, address);
  }

  /**
   * A networked client that trains {@code learner}'s learners on {@code local} (whatever model the server names)
   * with {@code seed} as their {@link dev.starling.learners.LearnerContext#seed()}; the strategy's client half and
   * the local DP the server requires are installed from the server's Welcome. {@link FederationClient#run()} takes
   * part until the server says the run is complete.
   */
  public static FederationClient client(ClientSettings settings, LearnerFactory learner, Dataset local, long seed) {
    return new FederationClient(settings, ClientTrainers.of(model -> learner, local, seed));
  }

  /** As {@link #client(ClientSettings, LearnerFactory, Dataset, long)}, for the model the server names. */
  public static FederationClient client(ClientSettings settings, Dataset local, long seed) {
    return new FederationClient(settings, ClientTrainers.of(Learners::parse, local, seed));
  }
}
