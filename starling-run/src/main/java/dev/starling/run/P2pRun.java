package dev.starling.run;

import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.p2p.GossipConfig;
import dev.starling.p2p.GossipSimulation;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.StopCondition;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.VirtualClient;
import dev.starling.simulation.adversary.AdversaryInterceptors;
import dev.starling.simulation.adversary.Attack;
import dev.starling.simulation.partition.Partitioners;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A decentralised run assembled from a {@link RunSpec} with a {@code p2p} setting: the data are partitioned,
 * standardised and poisoned exactly as for a federated simulation (the same {@link Simulation} prepares them, so the
 * same seed gives the same peers' rows and the same malicious peers), then a {@link GossipSimulation} trains the peers
 * without a server. Refusals are {@link RunAssembler#assemble}'s, before any data is touched. Order of use:
 * {@link #create}, {@link #run} once, {@link #close}.
 */
public final class P2pRun implements AutoCloseable {
  private final Simulation data;
  private final GossipSimulation gossip;
  private final GossipConfig config;

  private P2pRun(Simulation data, GossipSimulation gossip, GossipConfig config) {
    this.data = data;
    this.gossip = gossip;
    this.config = config;
  }

  /** As {@link #create(RunSpec, LearnerFactory, Dataset, Dataset, int, boolean)} with the spec's model. */
  public static P2pRun create(RunSpec spec, Dataset train, Dataset test, int threads, boolean standardize) {
    return create(spec, Learners.parse(spec.model()), train, test, threads, standardize);
  }

  /**
   * Assembles {@code spec} (which must have a {@code p2p} setting) over {@code train}, split among the peers, and
   * {@code test}, on which the averaged model and every peer's own model are evaluated each round.
   */
  public static P2pRun create(RunSpec spec, LearnerFactory learner, Dataset train, Dataset test, int threads,
      boolean standardize) {
    RunSpec.P2p p2p = spec.p2p().orElseThrow(() -> new InvalidRunException("p2p", "is not set; use SimulatedRun"));
    RunAssembler.assemble(spec, RunAssembler.Target.SIMULATION); // the refusals
    if (threads <= 0) {
      throw new InvalidRunException("threads", "must be > 0. Provided value: " + threads);
    }
    RunSpec.Population p = spec.population();
    SimulationConfig sc = new SimulationConfig(learner, Partitioners.parse(p.partition()), p.clients(), 0, 1,
        standardize, spec.seed(), p.adversity(), Communication.none(), null, p.clock());
    Simulation sim = new Simulation(sc, train, test);
    try {
      GossipConfig cfg = config(spec, p2p, threads);
      List<VirtualClient> clients = sim.clients();
      List<Dataset> peers = new ArrayList<>(clients.size());
      List<List<TrainInterceptor>> chains = new ArrayList<>(clients.size());
      Set<Integer> byzantine = new HashSet<>();
      RandomSource root = RandomSource.seeded(spec.seed());
      Attack attack = p.adversity().attack();
      for (VirtualClient c : clients) {
        peers.add(c.data());
        boolean bad = sim.maliciousClients().contains(c.id());
        if (bad) {
          byzantine.add(c.index());
        }
        List<TrainInterceptor> chain = new ArrayList<>();
        if (bad && !attack.poisonsData()) {
          chain.add(AdversaryInterceptors.attacker(attack, root, c.index()));
        }
        int rows = c.data().size();
        chain.add((global, tc, state, next) -> {
          long t0 = System.nanoTime();
          var r = next.fit(global, tc);
          sim.trainingStats().record((long) rows * tc.localEpochs(), System.nanoTime() - t0);
          return r;
        });
        chains.add(List.copyOf(chain));
      }
      GossipSimulation g = new GossipSimulation(cfg, learner, peers, sim.testSet(), chains, byzantine);
      return new P2pRun(sim, g, cfg);
    } catch (RuntimeException e) {
      sim.close();
      throw e;
    }
  }

  private static GossipConfig config(RunSpec spec, RunSpec.P2p p2p, int threads) {
    int n = spec.population().clients();
    Optional<LocalDpConfig> dp = Optional.empty();
    RunSpec.Privacy privacy = spec.privacy();
    if (privacy.dp() instanceof RunSpec.Dp.Local ld) {
      dp = Optional.of(LocalDpConfig.of(ld.clipNorm(), ld.noiseMultiplier()).with(privacy.delta(),
          privacy.targetEpsilon(), PrivacyAccountant.named(privacy.accountant()), privacy.seededNoise()));
    }
    List<StopCondition> stops = new ArrayList<>();
    RunSpec.Loop loop = spec.loop();
    loop.targetAccuracy().ifPresent(a -> stops.add(StopCondition.target("test_accuracy", a, true)));
    loop.target().ifPresent(t -> stops.add(t.stopCondition()));
    loop.plateau().ifPresent(pl -> stops.add(StopCondition.trainLossPlateau(pl)));
    try {
      return new GossipConfig(p2p.topology(n, spec.seed()), p2p.mode(spec.compression().uplink()), p2p.robustGossip(), dp,
          spec.training().trainConfig(), loop.rounds(), stops, spec.seed(), threads);
    } catch (IllegalArgumentException e) {
      throw e instanceof InvalidRunException ie ? ie : new InvalidRunException("p2p", e.getMessage());
    }
  }

  /** The data preparation: peers' rows ({@code clients()}), malicious peers, standardisation, test set. */
  public Simulation data() {
    return data;
  }

  public GossipSimulation gossip() {
    return gossip;
  }

  public GossipConfig config() {
    return config;
  }

  /** The model every peer starts from. */
  public ParameterSet initialParameters() {
    return gossip.initialParameters();
  }

  /** Runs the gossip rounds; the result's model is the honest peers' average. */
  public RoundLoop.Result run(RoundListener listener) {
    return gossip.run(listener);
  }

  @Override
  public void close() {
    gossip.close();
    data.close();
  }
}
