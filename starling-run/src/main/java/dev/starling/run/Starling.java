package dev.starling.run;

import dev.starling.data.Dataset;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;

/**
 * Starling as a library: static entry points over {@link RunSpec}. Build a spec from
 * {@link RunSpec#defaults()} with its {@code with...} methods; a bad setting or an unworkable feature
 * combination throws {@link InvalidRunException} before round 1.
 *
 * <pre>{@code
 * RunSpec spec = RunSpec.defaults().withStrategy("fedadam").withLoop(RunSpec.Loop.defaults().withRounds(50));
 * RoundLoop.Result r = Starling.simulate(spec, train, test);
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
    try (SimulatedRun run = SimulatedRun.create(spec, train, test, Runtime.getRuntime().availableProcessors(), false)) {
      return run.run(listener);
    }
  }
}
