package dev.starling.run;

import dev.starling.data.Dataset;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.util.function.UnaryOperator;

/**
 * A simulation assembled from a {@link RunSpec}: partitions the data, builds the decorated strategy with
 * {@link RunAssembler} and the round loop's settings, and runs. Everything is checked at construction,
 * before round 1. Order of use: {@link #create}, optionally inspect, {@link #run} once, {@link #close}.
 */
public final class SimulatedRun implements AutoCloseable {
  private final RunSpec spec;
  private final RunAssembler.Assembly assembly;
  private final Simulation simulation;
  private final Strategy strategy;
  private final RoundLoopConfig loop;

  private SimulatedRun(RunSpec spec, RunAssembler.Assembly assembly, Simulation simulation, Strategy strategy,
      RoundLoopConfig loop) {
    this.spec = spec;
    this.assembly = assembly;
    this.simulation = simulation;
    this.strategy = strategy;
    this.loop = loop;
  }

  /**
   * Assembles {@code spec} over {@code train} (partitioned among the clients) and {@code test} (the
   * server's held-out set). {@code threads}: workers for local training; {@code standardize}: per-client
   * z-scoring; {@code decorate}: a last research-only decorator over the assembled strategy (identity for
   * none), e.g. an extra server-side metric.
   */
  public static SimulatedRun create(RunSpec spec, Dataset train, Dataset test, int threads, boolean standardize,
      UnaryOperator<Strategy> decorate) {
    return create(spec, Learners.parse(spec.model()), train, test, threads, standardize, decorate);
  }

  /**
   * As {@link #create(RunSpec, Dataset, Dataset, int, boolean, UnaryOperator)}, with the clients' and the server's
   * learners made by {@code learner} instead of the spec's {@code model}.
   */
  public static SimulatedRun create(RunSpec spec, LearnerFactory learner, Dataset train, Dataset test, int threads,
      boolean standardize, UnaryOperator<Strategy> decorate) {
    RunAssembler.Assembly a = RunAssembler.assemble(spec, RunAssembler.Target.SIMULATION);
    RunSpec.Population p = spec.population();
    if (threads <= 0) {
      throw new InvalidRunException("threads", "must be > 0. Provided value: " + threads);
    }
    SimulationConfig cfg = new SimulationConfig(learner, Partitioners.parse(p.partition()),
        p.clients(), p.dropout(), threads, standardize, spec.seed(), p.adversity(), a.communication(),
        a.subModels().orElse(null), p.clock());
    Simulation sim = new Simulation(cfg, train, test);
    try {
      a.plan(sim.clients().stream().map(c -> c.data().size()).toList(), spec.training());
      RoundLoopConfig loop = RunAssembler.loopConfig(spec, a.stopConditions(spec.loop()), FoldOrder.SELECTION,
          sim.clients().size());
      if (!spec.sync().synchronous()) {
        // refuse before the run what the strategy cannot do with this many updates per aggregation
        int n = sim.clients().size();
        int perRound = Math.min(n, Math.max(loop.minFitClients(), (int) Math.floor(loop.fractionFit() * n)));
        int perAgg = Math.min(n, AsyncDriver.updatesPerAggregation(spec.sync().policy(), perRound));
        InvalidRunException.wrap("sync", () -> {
          try {
            a.strategy().prepare(new RoundPlan(perAgg, n));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(spec.sync().policy().describe() + " aggregates " + perAgg
                + " update(s) at a time: " + e.getMessage(), e);
          }
          return null;
        });
      }
      return new SimulatedRun(spec, a, sim, decorate.apply(a.strategy()), loop);
    } catch (RuntimeException e) {
      sim.close();
      throw e;
    }
  }

  /** As {@link #create(RunSpec, Dataset, Dataset, int, boolean, UnaryOperator)} without an extra decorator. */
  public static SimulatedRun create(RunSpec spec, Dataset train, Dataset test, int threads, boolean standardize) {
    return create(spec, train, test, threads, standardize, UnaryOperator.identity());
  }

  public RunSpec spec() {
    return spec;
  }

  public RunAssembler.Assembly assembly() {
    return assembly;
  }

  /** The assembled strategy the loop runs. */
  public Strategy strategy() {
    return strategy;
  }

  public Simulation simulation() {
    return simulation;
  }

  public RoundLoopConfig loopConfig() {
    return loop;
  }

  /** Runs the rounds. */
  public RoundLoop.Result run(RoundListener listener) {
    RunSpec.SyncMode sync = spec.sync();
    if (sync.synchronous()) {
      return simulation.run(strategy, loop, listener);
    }
    return simulation.runAsync(strategy, loop, sync.policy(),
        new AsyncDriver.Settings(sync.concurrency(), sync.stalenessBound()), listener);
  }

  /**
   * Runs the simulation, checkpointing every round into {@code store} (null: none) and resuming from
   * {@code from} (null: round 1); see {@link Simulation#run(Strategy, RoundLoopConfig, RoundListener,
   * dev.starling.server.CheckpointStore, dev.starling.server.RunState)}.
   */
  public RoundLoop.Result run(RoundListener listener, dev.starling.server.CheckpointStore store,
      dev.starling.server.RunState from) {
    if (store == null && from == null) {
      return run(listener);
    }
    RunSpec.SyncMode sync = spec.sync();
    if (!sync.synchronous()) {
      return simulation.runAsync(strategy, loop, sync.policy(),
          new AsyncDriver.Settings(sync.concurrency(), sync.stalenessBound()), listener, store, from);
    }
    return simulation.run(strategy, loop, listener, store, from);
  }

  /** What a checkpoint of this run records and a resume checks. */
  public java.util.Map<String, String> checkpointMetadata() {
    return simulation.checkpointMetadata(strategy, spec.sync().policy());
  }

  @Override
  public void close() {
    simulation.close();
  }
}
