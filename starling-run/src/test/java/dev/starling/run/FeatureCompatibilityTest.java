package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every pair of features (strategy x privacy x codec x sub-model) either works, and then matches the run
 * with only its structural feature (the strategy or the sub-model; plain FedAvg for privacy x codec) within
 * {@link #TOLERANCE} relative test loss, or is refused by the assembler before round 1 with an
 * {@link InvalidRunException} saying why. Nothing in between: no silent wrong answer, no crash in round 2.
 * The privacy settings are chosen to be nearly noise-free (huge clip, tiny noise) so that "works" can be
 * compared with the plain result; tiny model, bundled digits, 6 clients all selected, 2 rounds. The sub-model pairs
 * are also run on a networked server over loopback gRPC, where they work or are refused as in simulation.
 */
class FeatureCompatibilityTest {
  /** Relative difference of the final test loss allowed for a combination that works. */
  static final double TOLERANCE = 0.05;

  private static LoadedData digits;

  /** One value of one feature: its name in the table and how it changes the spec. */
  record Feature(String name, UnaryOperator<RunSpec> apply) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Feature> STRATEGIES = new ArrayList<>();
  static final List<Feature> PRIVACY = List.of(
      new Feature("secagg", s -> s.withPrivacy(s.privacy().withSecAgg(Optional.of(new RunSpec.SecAgg(0.3, 8))))),
      new Feature("dp central", s -> s.withPrivacy(s.privacy().withDp(new RunSpec.Dp.Central(50, 1e-4, false)))),
      new Feature("dp local", s -> s.withPrivacy(s.privacy().withDp(new RunSpec.Dp.Local(50, 1e-4)))),
      new Feature("dp-sgd", s -> s.withPrivacy(s.privacy().withDp(new RunSpec.Dp.Sgd(1e4, 1e-4)))));
  static final List<Feature> CODECS = List.of(
      new Feature("fp16 up+down", s -> s.withCompression(RunSpec.Compression.of("fp16", "fp16"))),
      new Feature("int8 up", s -> s.withCompression(RunSpec.Compression.of("int8", "none"))),
      new Feature("topk:0.5 + error feedback", s -> s.withCompression(
          new RunSpec.Compression("topk:0.5", true, "none", OptionalDouble.empty(), 1))));
  static final List<Feature> SUBMODELS = List.of(
      new Feature("submodel federated-dropout 0.75", s -> s.withSubModels(Optional.of(
          new RunSpec.SubModels("federated-dropout", 0.75, 0.75, 5)))));

  static {
    for (String st : List.of("fedavg", "avg", "fedprox:0.01", "fedavgm", "fedadam", "fednova", "scaffold", "median",
        "trimmed:0.2", "krum:1", "normbound:5")) {
      STRATEGIES.add(new Feature(st, s -> s.withStrategy(st)));
    }
  }

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  /** The base every row starts from: 6 clients, all selected, 2 rounds, mlp:16, seeded noise. */
  static RunSpec base() {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(2).withFraction(1.0).withMinClients(6);
    return RunSpec.defaults().withModel("mlp:16").withSeed(7).withLoop(loop)
        .withTraining(new RunSpec.Training(1, 16, 0.1, 0, 0)).withPopulation(RunSpec.Population.of(6, "iid"))
        .withPrivacy(RunSpec.Privacy.none().withSeededNoise(true));
  }

  /** The final test loss, or the refusal. */
  record Outcome(double loss, InvalidRunException refused) {}

  private final Map<String, Outcome> cache = new HashMap<>();

  private Outcome run(List<Feature> features) {
    String key = features.toString();
    return cache.computeIfAbsent(key, k -> {
      RunSpec spec = base();
      for (Feature f : features) {
        spec = f.apply().apply(spec);
      }
      SimulatedRun sim;
      try {
        sim = SimulatedRun.create(spec, digits.train(), digits.test(), 2, false);
      } catch (InvalidRunException e) {
        return new Outcome(Double.NaN, e);
      }
      try (sim) {
        List<RoundRecord> rounds = sim.run(RoundListener.NONE).history().rounds();
        return new Outcome(rounds.get(rounds.size() - 1).metric("test_loss"), null);
      } catch (RuntimeException e) {
        throw new AssertionError(key + " was accepted but failed during training (must be refused before round 1)", e);
      }
    });
  }

  @Test
  void everyPairOfFeatures_worksAndMatchesPlainOrIsRefusedWithAReason() {
    List<String> table = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    Feature fedavg = STRATEGIES.get(0);
    check(STRATEGIES, PRIVACY, true, table, wrong);
    check(STRATEGIES, CODECS, true, table, wrong);
    check(STRATEGIES, SUBMODELS, false, table, wrong);
    check(List.of(fedavg), PRIVACY, CODECS, table, wrong);
    check(SUBMODELS, PRIVACY, true, table, wrong);
    check(SUBMODELS, CODECS, true, table, wrong);
    System.out.println(String.join("\n", table));
    assertThat(wrong).as(String.join("\n", table)).isEmpty();
    // the combinations that used to give silent wrong answers or crash are refused now, for a reason
    assertRefused(List.of(STRATEGIES.get(5), PRIVACY.get(0)), "secagg", "local step");
    assertRefused(List.of(STRATEGIES.get(6), PRIVACY.get(0)), "secagg", "control");
    assertRefused(List.of(SUBMODELS.get(0), PRIVACY.get(0)), "secagg", "positions");
    assertRefused(List.of(STRATEGIES.get(7), PRIVACY.get(0)), "secagg", "individual updates");
    assertThat(run(List.of(fedavg, PRIVACY.get(0))).refused()).isNull();
  }

  static final List<String> SYNC_MODES = List.of("async:0.6", "buffered:3", "semi-sync:5", "periodic:2", "event:0.01");

  /**
   * Every synchronisation mode x (strategy, privacy, codec) for the networked server: assembled for the server
   * exactly when it is for simulation, or refused before round 1 with a reason naming the setting; no mode is
   * refused on the server only (the event-triggered mode runs over gRPC since protocol v1.5). (Training with the modes over gRPC is in
   * NetworkedSyncModesTest; here, the assembler's decisions.)
   */
  @Test
  void syncModes_overTheNetwork_assembleAsInSimulationOrAreRefusedWithAReason() {
    List<String> wrong = new ArrayList<>();
    List<Feature> features = new ArrayList<>(STRATEGIES);
    features.addAll(PRIVACY);
    features.addAll(CODECS);
    for (String mode : SYNC_MODES) {
      for (Feature f : features) {
        RunSpec spec = f.apply().apply(base().withSync(RunSpec.SyncMode.parse(mode)));
        InvalidRunException sim = refusal(spec, RunAssembler.Target.SIMULATION);
        InvalidRunException net = refusal(spec, RunAssembler.Target.SERVER);
        String row = mode + " x " + f + ": ";
        for (InvalidRunException e : new InvalidRunException[] {sim, net}) {
          if (e != null && (e.setting().isBlank() || e.getMessage().isBlank())) {
            wrong.add(row + "refused without a setting or reason");
          }
        }
        if (sim != null && net == null) {
          wrong.add(row + "the server accepts what simulation refuses: " + sim.getMessage());
        } else if (sim == null && net != null) {
          wrong.add(row + "simulation runs it, the server refuses it: " + net.getMessage());
        }
      }
    }
    assertThat(wrong).isEmpty();
  }

  private static InvalidRunException refusal(RunSpec spec, RunAssembler.Target target) {
    try {
      RunAssembler.assemble(spec, target);
      return null;
    } catch (InvalidRunException e) {
      return e;
    }
  }

  /**
   * The sub-model pairs on a networked server: each is refused there exactly when the simulation refuses it (same
   * setting), and each accepted one, run over loopback gRPC with the simulation's client datasets, ends within
   * {@link #GRPC_TOLERANCE} of the simulated test loss (the server folds in arrival order, so position-wise sums
   * may round differently; in selection order they are bit-identical, see {@code SubModelOverGrpcTest}).
   */
  @Test
  @org.junit.jupiter.api.Timeout(300)
  void subModelPairs_overGrpc_workAsInSimulation_orAreRefusedForTheSameReason() throws Exception {
    List<String> table = new ArrayList<>();
    List<Feature> others = new ArrayList<>(PRIVACY);
    others.addAll(CODECS);
    int works = 0;
    for (Feature sub : SUBMODELS) {
      for (Feature other : others) {
        RunSpec spec = other.apply().apply(sub.apply().apply(base()));
        Outcome sim = run(List.of(sub, other));
        InvalidRunException server = null;
        try {
          RunAssembler.assemble(spec, RunAssembler.Target.SERVER);
        } catch (InvalidRunException e) {
          server = e;
        }
        String row = String.format("%-60s ", List.of(sub, other, "grpc"));
        if (sim.refused() != null) {
          assertThat(server).as(row + "is refused in simulation: " + sim.refused().getMessage()).isNotNull();
          assertThat(server.setting()).as(row).isEqualTo(sim.refused().setting());
          table.add(row + "refused: " + server.getMessage());
          continue;
        }
        assertThat(server).as(row + "works in simulation").isNull();
        double loss = Loopback.overGrpc(spec, digits.train(), digits.test(), dev.starling.server.FoldOrder.ARRIVAL)
            .finalMetric("test_loss");
        table.add(row + String.format("works: test loss %.6f vs simulated %.6f", loss, sim.loss()));
        assertThat(loss).as(row).isCloseTo(sim.loss(), org.assertj.core.api.Assertions.withinPercentage(100 * GRPC_TOLERANCE));
        works++;
      }
    }
    System.out.println(String.join("\n", table));
    assertThat(works).as("sub-models with local DP and with DP-SGD work over gRPC").isEqualTo(2);
  }

  /** Relative test-loss difference allowed between a networked run (arrival order) and its simulation. */
  static final double GRPC_TOLERANCE = 1e-4;

  private void assertRefused(List<Feature> features, String setting, String reason) {
    InvalidRunException e = run(features).refused();
    assertThat(e).as(features.toString()).isNotNull();
    assertThat(e.setting()).isEqualTo(setting);
    assertThat(e.getMessage()).contains(reason);
  }

  /** Pairs of {@code a} x {@code b}; the reference is {@code a} alone when {@code referenceIsFirst}, else {@code b} alone. */
  private void check(List<Feature> a, List<Feature> b, boolean referenceIsFirst, List<String> table, List<String> wrong) {
    for (Feature x : a) {
      for (Feature y : b) {
        Outcome ref = run(List.of(referenceIsFirst ? x : y));
        record(List.of(x, y), ref, table, wrong);
      }
    }
  }

  /** Pairs of {@code b} x {@code c} on top of {@code base}, against {@code base} alone. */
  private void check(List<Feature> base, List<Feature> b, List<Feature> c, List<String> table, List<String> wrong) {
    for (Feature x : b) {
      for (Feature y : c) {
        record(List.of(base.get(0), x, y), run(base), table, wrong);
      }
    }
  }

  private void record(List<Feature> features, Outcome ref, List<String> table, List<String> wrong) {
    if (ref.refused() != null) {
      fail("reference " + features + " refused: " + ref.refused().getMessage());
    }
    Outcome o = run(features);
    String row = String.format("%-60s ", features);
    if (o.refused() != null) {
      table.add(row + "refused: " + o.refused().getMessage());
      if (o.refused().getMessage().isBlank()) {
        wrong.add(row + "refused without a reason");
      }
      return;
    }
    double rel = Math.abs(o.loss() - ref.loss()) / ref.loss();
    table.add(row + String.format("works: test loss %.4f vs %.4f (%.1f%%)", o.loss(), ref.loss(), 100 * rel));
    if (!(rel <= TOLERANCE)) {
      wrong.add(row + "differs from the plain result by " + rel);
    }
  }
}
