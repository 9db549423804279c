package dev.starling.simulation.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.server.ClientProxy;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.AsyncEnvironment;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.VirtualClient;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.simulation.clock.ClientTrace;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAvg;
import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Availability windows of a client trace on the virtual clock: the real driver on the real virtual environment,
 * every dispatch recorded with its simulated time; no client is ever given a job outside its windows, and clients
 * whose window opens later are given work once it opens.
 */
class TraceAvailabilityTest {
  private static LoadedData digits;
  /** 0, 1: always; 2, 3: [0, 5) and [20, 30); 4, 5: from 10 s on. */
  private static final String TRACE = """
      client,speed,bandwidth,latency,availability
      0,100,10,0.01,
      1,150,10,0.01,
      2,100,10,0.01,0-5;20-30
      3,120,10,0.01,0-5;20-30
      4,100,10,0.01,10-1000
      5,80,10,0.01,10-1000
      """;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static Simulation simulation() throws IOException {
    ClientClock clock = ClientClock.defaults().withTrace(ClientTrace.read(new StringReader(TRACE), "trace.csv"));
    SimulationConfig cfg = new SimulationConfig(ModelSpec.parse("logreg"), Partitioners.parse("iid"), 6, 0, 2, false, 3,
        Adversity.none(), Communication.none(), null, clock);
    return new Simulation(cfg, digits.train(), digits.test());
  }

  private static RoundLoopConfig loop(int rounds) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(0.5).roundTimeout(Duration.ofMinutes(5)).seed(3)
        .trainDefaults(TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build()).build();
  }

  /** The virtual environment, each launch recorded as (client, simulated time). */
  private record Dispatch(VirtualClient client, double at) {}

  private static final class Recording implements AsyncEnvironment {
    final AsyncSimulation.VirtualEnvironment env;
    final List<Dispatch> dispatches = new ArrayList<>();

    Recording(List<VirtualClient> clients) {
      env = new AsyncSimulation.VirtualEnvironment(clients);
    }

    @Override
    public double now() {
      return env.now();
    }

    @Override
    public String clockMetric() {
      return env.clockMetric();
    }

    @Override
    public int clients() {
      return env.clients();
    }

    @Override
    public int idle() {
      return env.idle();
    }

    @Override
    public ClientProxy takeIdle(RandomSource rng) {
      return env.takeIdle(rng);
    }

    @Override
    public void launch(Job job, ParameterSet global, TrainConfig config) {
      dispatches.add(new Dispatch((VirtualClient) job.client(), env.now()));
      env.launch(job, global, config);
    }

    @Override
    public void tickAt(double time, int tag) {
      env.tickAt(time, tag);
    }

    @Override
    public Event next() {
      return env.next();
    }

    @Override
    public void cancelAll() {
      env.cancelAll();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"buffered:2", "async:0.6", "semi-sync:3", "periodic:2"})
  void noClientIsDispatchedOutsideItsWindows_andLateWindowsAreUsed(String mode) throws IOException {
    try (Simulation sim = simulation()) {
      Recording rec = new Recording(sim.clients());
      var result = new AsyncDriver(new FedAvg(), rec, loop(25), SyncPolicy.parse(mode),
          new AsyncDriver.Settings(3, OptionalInt.empty()), RoundListener.NONE).run(sim.initialParameters());
      assertThat(result.history().rounds()).isNotEmpty();
      assertThat(rec.dispatches).isNotEmpty().allSatisfy(d -> assertThat(d.client().availability().at(d.at()))
          .as("%s dispatched at %.3f s, windows %s", d.client().id(), d.at(), d.client().availability()).isTrue());
      // clients 4 and 5 only exist from 10 s on: they get work once their window opens
      assertThat(rec.dispatches).anyMatch(d -> d.client().index() >= 4);
      assertThat(rec.dispatches).filteredOn(d -> d.client().index() >= 4).allMatch(d -> d.at() >= 10);
    }
  }

  @Test
  void windowsWithSynchronousRounds_areRefusedWithTheReason() throws IOException {
    try (Simulation sim = simulation()) {
      assertThatThrownBy(() -> sim.run(new FedAvg(), loop(2), RoundListener.NONE))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need an asynchronous mode");
    }
  }
}
