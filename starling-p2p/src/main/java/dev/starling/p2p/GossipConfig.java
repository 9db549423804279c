package dev.starling.p2p;

import dev.starling.core.learner.TrainConfig;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.server.StopCondition;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a simulated decentralised run ({@link GossipSimulation}).
 *
 * @param topology who talks to whom
 * @param mode how neighbours' models are combined
 * @param robust self-centred clipping against Byzantine neighbours, if any
 * @param localDp per-peer local DP (each peer clips its local update to C and adds Gaussian noise before sending,
 *     with {@link dev.starling.privacy.dp.LocalDpStrategy#interceptor} and accounts its own epsilon), if any
 * @param training local training of every peer (the round and seed are set per peer and round)
 * @param rounds gossip rounds
 * @param stops stop conditions, checked on the history after each round (e.g. a target accuracy of the averaged model)
 * @param seed seed of every random choice
 * @param threads workers for local training, evaluation and the gossip step
 */
public record GossipConfig(Topology topology, GossipMode mode, Optional<RobustGossip> robust,
    Optional<LocalDpConfig> localDp, TrainConfig training, int rounds, List<StopCondition> stops, long seed,
    int threads) {
  public GossipConfig {
    Objects.requireNonNull(topology, "topology");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(robust, "robust");
    Objects.requireNonNull(localDp, "localDp");
    Objects.requireNonNull(training, "training");
    stops = List.copyOf(stops);
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be > 0. Provided value: " + rounds);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be > 0. Provided value: " + threads);
    }
  }

  /** One line for run summaries. */
  public String describe() {
    return topology.describe() + ", " + topology.peers() + " peers, gossip " + mode.describe()
        + robust.map(r -> ", " + r.describe()).orElse("")
        + localDp.map(dp -> ", local DP C=" + dp.clipNorm() + " sigma=" + dp.noiseMultiplier()).orElse("");
  }
}
