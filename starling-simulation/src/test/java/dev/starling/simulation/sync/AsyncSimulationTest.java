package dev.starling.simulation.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientFailure;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategies;
import dev.starling.strategy.Strategy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AsyncSimulationTest {
  private static LoadedData digits;
  private static final ClientClock HETEROGENEOUS = ClientClock.parse("lognormal:6,1", "lognormal:1,0.5/0.05", 0.2, 10);

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RoundLoopConfig loop(int rounds, Duration deadline) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(0.3).roundTimeout(deadline)
        .trainDefaults(TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build()).build();
  }

  private static RoundLoop.Result run(String mode, Supplier<Strategy> strategy, int threads, AsyncDriver.Settings s,
      double dropout) {
    SimulationConfig cfg = new SimulationConfig(ModelSpec.parse("mlp:16"), Partitioners.parse("dirichlet:0.5"), 12,
        dropout, threads, false, 11, Adversity.none(), Communication.none(), null, HETEROGENEOUS);
    try (Simulation sim = new Simulation(cfg, digits.train(), digits.test())) {
      SyncPolicy p = SyncPolicy.parse(mode);
      return p.synchronous() ? sim.run(strategy.get(), loop(6, Duration.ofSeconds(3)), RoundListener.NONE)
          : sim.runAsync(strategy.get(), loop(6, Duration.ofMinutes(5)), p, s, RoundListener.NONE);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sync", "async:0.6,poly:0.5", "async:0.5,hinge:2,1", "buffered:3", "semi-sync:2",
      "periodic:1.5", "event:0.02,4"})
  void everyMode_sameSeed_reproducesBitForBitWhateverTheThreads(String mode) {
    AsyncDriver.Settings s = new AsyncDriver.Settings(4, OptionalInt.empty());
    RoundLoop.Result a = run(mode, FedAvg::new, 1, s, 0.1);
    RoundLoop.Result b = run(mode, FedAvg::new, 4, s, 0.1);
    assertThat(a.history().rounds()).hasSize(6);
    assertThat(b.global().flatten()).containsExactly(a.global().flatten());
    List<RoundRecord> ra = a.history().rounds();
    List<RoundRecord> rb = b.history().rounds();
    for (int i = 0; i < ra.size(); i++) {
      assertThat(rb.get(i).metrics()).isEqualTo(ra.get(i).metrics());
      assertThat(rb.get(i).failures()).isEqualTo(ra.get(i).failures());
      assertThat(rb.get(i).bytesUp()).isEqualTo(ra.get(i).bytesUp());
    }
    // simulated time is reported on every line and never goes back
    double prev = 0;
    for (RoundRecord r : ra) {
      assertThat(r.metric("sim_seconds")).isGreaterThanOrEqualTo(prev);
      prev = r.metric("sim_seconds");
    }
    assertThat(prev).isPositive();
    // the model moved: every mode aggregated something
    assertThat(ra.stream().anyMatch(RoundRecord::committed)).isTrue();
  }

  @Test
  void buffered_serverOptimiserStepsOnTheBufferedDeltas() {
    RoundLoop.Result r = run("buffered:3", () -> Strategies.parse("fedadam:0.01"),
        new AsyncDriver.Settings(4, OptionalInt.empty()), 0);
    assertThat(r.history().rounds()).allMatch(RoundRecord::committed);
    assertThat(r.history().rounds()).allMatch(x -> x.clientsSucceeded() == 3);
    assertThat(r.history().rounds().get(5).metric("model_version")).isEqualTo(6);
  }

  private static RoundLoop.Result run(String mode, Supplier<Strategy> s, AsyncDriver.Settings settings, double dropout) {
    return run(mode, s, 2, settings, dropout);
  }

  @Test
  void stalenessBound_dropsOldUpdatesAsFailuresWithTheReason() {
    RoundLoop.Result r = run("async:0.6", FedAvg::new, new AsyncDriver.Settings(6, OptionalInt.of(0)), 0);
    List<ClientFailure> stale = r.history().rounds().stream().flatMap(x -> x.failures().stream())
        .filter(f -> f.reason().contains("staleness bound of 0")).toList();
    assertThat(stale).isNotEmpty().allMatch(f -> f.code() == ErrorCode.FAILED_PRECONDITION);
    assertThat(r.history().rounds()).allMatch(x -> x.metric("staleness_max") == 0);
  }

  @Test
  void fedAsync_withConcurrency_seesStaleUpdates() {
    RoundLoop.Result r = run("async:0.6", FedAvg::new, new AsyncDriver.Settings(6, OptionalInt.empty()), 0);
    assertThat(r.history().rounds()).anyMatch(x -> x.metric("staleness_max") > 0);
    assertThat(r.history().rounds()).allMatch(x -> x.clientsSucceeded() == 1);
  }

  @Test
  void syncRounds_onTheVirtualClock_lastAsLongAsTheSlowestKeptClientOrTheDeadline() {
    RoundLoop.Result r = run("sync", FedAvg::new, 2, AsyncDriver.Settings.defaults(), 0);
    double prev = 0;
    boolean sawDeadline = false;
    for (RoundRecord rec : r.history().rounds()) {
      double len = rec.metric("sim_seconds") - prev;
      prev = rec.metric("sim_seconds");
      assertThat(len).isPositive().isLessThanOrEqualTo(3.0 + 1e-9);
      if (rec.failures().stream().anyMatch(f -> f.code() == ErrorCode.DEADLINE_EXCEEDED)) {
        sawDeadline = true;
        assertThat(len).isCloseTo(3.0, org.assertj.core.api.Assertions.within(1e-9));
      }
    }
    assertThat(sawDeadline).as("the 20%% slow clients miss a 3 s deadline").isTrue();
  }

  @Test
  void robustRule_withOneUpdatePerAggregation_isRefusedByTheStrategy() {
    Strategy krum = Strategies.parse("krum:1");
    assertThatThrownBy(() -> run("async:0.6", () -> krum, AsyncDriver.Settings.defaults(), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void clock_slowFraction_makesExactlyThatManyClientsSlowerBySeed() {
    ClientClock c = ClientClock.parse("100", "10/0.01", 0.1, 10);
    var p = c.profiles(50, 3);
    assertThat(java.util.Arrays.stream(p).filter(x -> x.samplesPerSecond() == 10).count()).isEqualTo(5);
    assertThat(java.util.Arrays.stream(p).filter(x -> x.samplesPerSecond() == 100).count()).isEqualTo(45);
    assertThat(c.profiles(50, 3)).containsExactly(p);
    assertThat(p[0].jobSeconds(100, 1_000_000, 1_000_000)).isEqualTo(0.01 + 0.1 + (p[0].samplesPerSecond() == 10 ? 10 : 1)
        + 0.01 + 0.1);
  }

  @Test
  void clock_badSpec_namesTheFlag() {
    assertThatThrownBy(() -> ClientClock.parse("lognormal:1", "10", 0, 1)).hasMessageStartingWith("client-speed");
    assertThatThrownBy(() -> ClientClock.parse("100", "fast", 0, 1)).hasMessageStartingWith("client-link");
    assertThatThrownBy(() -> ClientClock.parse("100", "10", 1.5, 1)).hasMessageStartingWith("slow-fraction");
  }
}
