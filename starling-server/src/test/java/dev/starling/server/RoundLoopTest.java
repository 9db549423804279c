package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.ServerEvaluatedStrategy;
import dev.starling.testkit.TestParameters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class RoundLoopTest {
  private static final ParameterSet INITIAL = TestParameters.constant(TestParameters.random(2, 2, 1), 0f);

  /** A proxy whose reply is computed by a function of (global, config). */
  private static final class FnProxy implements ClientProxy {
    private final ClientId id;
    private final BiFunction<ParameterSet, TrainConfig, CompletableFuture<FitOutcome>> fn;
    final List<TrainConfig> seen = new ArrayList<>();

    FnProxy(int i, BiFunction<ParameterSet, TrainConfig, CompletableFuture<FitOutcome>> fn) {
      this.id = ClientId.ofIndex(i);
      this.fn = fn;
    }

    @Override
    public ClientId id() {
      return id;
    }

    @Override
    public synchronized CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
      seen.add(config);
      return fn.apply(global, config);
    }

    @Override
    public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
      return CompletableFuture.completedFuture(new EvalResult(10, Metrics.of("loss", 1.0)));
    }
  }

  private static CompletableFuture<FitOutcome> constant(float v, long n) {
    ParameterSet p = TestParameters.constant(INITIAL, v);
    return CompletableFuture.completedFuture(new FitOutcome(new TrainResult(p, n, 1, Metrics.of("loss", v)), 24, 24));
  }

  private static RoundLoopConfig.Builder cfg() {
    return RoundLoopConfig.builder().rounds(1).fractionFit(1.0).seed(42);
  }

  @Test
  void run_failingTimedOutAndNanClients_recordedAndExcludedFromAggregate() {
    List<ClientProxy> clients = List.of(
        new FnProxy(0, (g, c) -> constant(1f, 10)),
        new FnProxy(1, (g, c) -> constant(3f, 30)),
        new FnProxy(2, (g, c) -> CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE, "simulated drop-out"))),
        new FnProxy(3, (g, c) -> new CompletableFuture<>()),
        new FnProxy(4, (g, c) -> constant(Float.NaN, 1000)),
        new FnProxy(5, (g, c) -> { throw new IllegalStateException("learner crashed"); }));
    RoundLoop loop = new RoundLoop(new FedAvg(), ClientPool.of(clients),
        cfg().roundTimeout(Duration.ofMillis(300)).build(), RoundListener.NONE);
    RoundLoop.Result r = loop.run(INITIAL);

    RoundRecord rec = r.history().rounds().get(0);
    assertThat(rec.clientsSelected()).isEqualTo(6);
    assertThat(rec.clientsSucceeded()).isEqualTo(2);
    assertThat(rec.failures()).extracting(ClientFailure::client, ClientFailure::code).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(2), ErrorCode.UNAVAILABLE),
        org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(3), ErrorCode.DEADLINE_EXCEEDED),
        org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(4), ErrorCode.INVALID_ARGUMENT),
        org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(5), ErrorCode.UNKNOWN));
    assertThat(rec.failures()).filteredOn(f -> f.code() == ErrorCode.UNKNOWN).first()
        .extracting(ClientFailure::reason).asString().contains("learner crashed");
    // (1*10 + 3*30) / 40 = 2.5: the NaN client's 1000 examples did not count.
    for (float v : r.global().flatten()) {
      assertThat(v).isEqualTo(2.5f);
    }
  }

  @Test
  void run_clientStats_onePerArrivedUpdateWithExamplesLossBytesAndVerdict() {
    List<ClientProxy> clients = List.of(
        new FnProxy(0, (g, c) -> constant(1f, 10)),
        new FnProxy(1, (g, c) -> CompletableFuture.completedFuture(constant(3f, 30).join().withSeconds(2.5))),
        new FnProxy(2, (g, c) -> CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE, "gone"))),
        new FnProxy(3, (g, c) -> constant(Float.NaN, 7)));
    List<ClientRoundStats> seen = new ArrayList<>();
    List<String> order = new ArrayList<>();
    RoundListener l = new RoundListener() {
      @Override
      public void onClientStats(int round, ClientRoundStats stats) {
        assertThat(round).isEqualTo(1);
        seen.add(stats);
        order.add("stats");
      }

      @Override
      public void onRoundEnd(RoundRecord record) {
        order.add("end");
      }
    };
    new RoundLoop(new FedAvg(), ClientPool.of(clients), cfg().build(), l).run(INITIAL);

    // the drop-out never replied: it is a failure, not a per-client row
    assertThat(seen).extracting(s -> s.client().value(), ClientRoundStats::accepted, ClientRoundStats::examples)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(0).value(), true, 10L),
            org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(1).value(), true, 30L),
            org.assertj.core.groups.Tuple.tuple(ClientId.ofIndex(3).value(), false, 7L));
    ClientRoundStats one = seen.stream().filter(s -> s.client().equals(ClientId.ofIndex(1))).findFirst().orElseThrow();
    assertThat(one.loss()).isEqualTo(3.0);
    assertThat(one.seconds()).isEqualTo(2.5); // a simulated duration is taken as given
    assertThat(one.bytesUp()).isEqualTo(24);
    assertThat(one.bytesDown()).isEqualTo(24);
    assertThat(order).containsExactly("stats", "stats", "stats", "end");
  }

  @Test
  void run_arrivalOrder_sameResultAsSelectionOrder() {
    List<ClientProxy> clients = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      float v = i;
      clients.add(new FnProxy(i, (g, c) -> CompletableFuture.supplyAsync(() -> constant(v, 10).join())));
    }
    ParameterSet a = new RoundLoop(new FedAvg(), ClientPool.of(clients), cfg().foldOrder(FoldOrder.ARRIVAL).build(),
        RoundListener.NONE).run(INITIAL).global();
    assertThat(a.flatten()).containsOnly(2f);
  }

  @Test
  void run_quorumNotMet_keepsGlobalAndMarksRoundFailed() {
    List<ClientProxy> clients = List.of(new FnProxy(0, (g, c) -> constant(5f, 10)),
        new FnProxy(1, (g, c) -> CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE, "x"))));
    RoundLoop.Result r = new RoundLoop(new FedAvg(), ClientPool.of(clients),
        cfg().minFitClients(2).minSuccessfulClients(2).build(), RoundListener.NONE).run(INITIAL);
    assertThat(r.global().flatten()).containsOnly(0f);
    assertThat(r.history().rounds().get(0).metric("round_failed")).isEqualTo(1.0);
  }

  @Test
  void run_selection_takesFloorOfFractionAndIsSeeded() {
    List<FnProxy> clients = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      clients.add(new FnProxy(i, (g, c) -> constant(1f, 1)));
    }
    RoundLoopConfig c = cfg().rounds(3).fractionFit(0.1).minFitClients(1).build();
    List<List<ClientId>> picks = new ArrayList<>();
    RoundListener rl = new RoundListener() {
      @Override
      public void onRoundStart(int round, int selected) {
        assertThat(selected).isEqualTo(2);
      }
    };
    for (int run = 0; run < 2; run++) {
      clients.forEach(p -> p.seen.clear());
      new RoundLoop(new FedAvg(), ClientPool.of(clients), c, rl).run(INITIAL);
      List<ClientId> who = new ArrayList<>();
      for (FnProxy p : clients) {
        p.seen.forEach(tc -> who.add(p.id()));
      }
      picks.add(who);
    }
    assertThat(picks.get(0)).hasSize(6).isEqualTo(picks.get(1));
    // Train seeds differ per client and round.
    assertThat(clients.stream().flatMap(p -> p.seen.stream()).map(TrainConfig::seed).distinct().count()).isEqualTo(6);
  }

  @Test
  void run_targetMetric_stopsEarly() {
    List<ClientProxy> clients = List.of(new FnProxy(0, (g, c) -> constant(c.round(), 1)));
    ServerEvaluatedStrategy s = new ServerEvaluatedStrategy(new FedAvg(),
        g -> Metrics.of("accuracy", g.flatten()[0] / 10.0));
    RoundLoop.Result r = new RoundLoop(s, ClientPool.of(clients),
        cfg().rounds(50).stopConditions(List.of(StopCondition.target("test_accuracy", 0.4, true))).build(),
        RoundListener.NONE).run(INITIAL);
    assertThat(r.history().rounds()).hasSize(4);
    assertThat(r.history().stopReason()).contains("test_accuracy reached 0.4");
    assertThat(r.history().firstRoundReaching("test_accuracy", 0.3)).hasValue(3);
  }

  @Test
  void plateau_noImprovementForPatienceRounds_stops() {
    StopCondition p = StopCondition.plateau("train_loss", 2, 0.01, false);
    List<RoundRecord> h = new ArrayList<>();
    double[] losses = {1.0, 0.5, 0.495, 0.499};
    for (int i = 0; i < losses.length; i++) {
      h.add(new RoundRecord(i + 1, Metrics.of("train_loss", losses[i]), 1, 1, List.of(), 0, 0, 0));
      if (i < 3) {
        assertThat(p.check(h)).as("after round %d", i + 1).isEmpty();
      }
    }
    assertThat(p.check(h)).isPresent();
  }

  @Test
  void run_tooFewAvailable_failsWithQuorumNotMet() {
    RoundLoop loop = new RoundLoop(new FedAvg(), ClientPool.of(List.of()),
        cfg().minAvailableClients(2).minSuccessfulClients(1).availabilityTimeout(Duration.ofMillis(100)).build(),
        RoundListener.NONE);
    assertThatThrownBy(() -> loop.run(INITIAL)).isInstanceOf(FlException.class)
        .hasMessageContaining("only 0 clients available").extracting(e -> ((FlException) e).code())
        .isEqualTo(ErrorCode.QUORUM_NOT_MET);
  }

  /** A pool of {@code n} clients that can hold only {@code slots} received updates at once (a server's uploads). */
  private static ClientPool slotted(List<ClientProxy> clients, int slots) {
    return new ClientPool() {
      @Override
      public List<ClientProxy> available() {
        return clients;
      }

      @Override
      public int maxHeldUpdates() {
        return slots;
      }
    };
  }

  @Test
  void selectionOrder_refusedBeforeRoundOne_whenEveryRoundNeedsMoreSlotsThanThePoolHolds() {
    List<FnProxy> clients = List.of(new FnProxy(0, (g, c) -> constant(1f, 1)), new FnProxy(1, (g, c) -> constant(1f, 1)),
        new FnProxy(2, (g, c) -> constant(1f, 1)));
    RoundLoop loop = new RoundLoop(new FedAvg(), slotted(List.copyOf(clients), 2),
        cfg().minFitClients(3).minAvailableClients(3).build(), RoundListener.NONE);
    assertThatThrownBy(() -> loop.run(INITIAL)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("selects 3 clients").hasMessageContaining("2 upload slots")
        .hasMessageContaining("ARRIVAL");
    assertThat(clients).allSatisfy(c -> assertThat(c.seen).isEmpty()); // no task went out
  }

  @Test
  void selectionOrder_refusedAtTheRound_thatSelectsMoreClientsThanSlots_arrivalOrderRuns() {
    // the minimum (1 client) fits, but the round selects all 3 that are available
    List<FnProxy> clients = List.of(new FnProxy(0, (g, c) -> constant(1f, 1)), new FnProxy(1, (g, c) -> constant(1f, 1)),
        new FnProxy(2, (g, c) -> constant(1f, 1)));
    RoundLoop loop = new RoundLoop(new FedAvg(), slotted(List.copyOf(clients), 2), cfg().build(), RoundListener.NONE);
    assertThatThrownBy(() -> loop.run(INITIAL)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round 1 selects 3 clients and the server has 2 upload slots");
    assertThat(clients).allSatisfy(c -> assertThat(c.seen).isEmpty());

    RoundLoop.Result r = new RoundLoop(new FedAvg(), slotted(List.copyOf(clients), 2),
        cfg().foldOrder(FoldOrder.ARRIVAL).build(), RoundListener.NONE).run(INITIAL);
    assertThat(r.history().rounds().get(0).clientsSucceeded()).isEqualTo(3);
  }
}
