package dev.starling.cli;

import dev.starling.compression.Codecs;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.simulation.Communication;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.MagnitudePruning;
import dev.starling.strategy.PositionwiseFedAvg;
import dev.starling.strategy.Strategy;
import picocli.CommandLine.Option;

/** The communication-efficiency flags of {@code simulate}: codecs, error feedback, sub-models, local DP. */
final class CommunicationOptions {
  @Option(names = "--uplink-codec", paramLabel = "SPEC", defaultValue = "none",
      description = "Codec of client updates: " + Codecs.FORMS + ". Default: ${DEFAULT-VALUE}.")
  String uplink = "none";

  @Option(names = "--error-feedback", description = "Clients keep what the lossy uplink codec dropped and send it later.")
  boolean errorFeedback;

  @Option(names = "--downlink-codec", paramLabel = "SPEC", defaultValue = "none",
      description = "Codec of the global model sent to clients (e.g. fp16, int8). Default: ${DEFAULT-VALUE}.")
  String downlink = "none";

  @Option(names = "--submodel", paramLabel = "POLICY",
      description = "Clients train a sub-model of the MLP's hidden neurons: " + NeuronPolicy.FORMS
          + " (FisherDropout ranks neurons by Fisher information on the client's data).")
  String submodel;

  @Option(names = "--keep", paramLabel = "F|MIN-MAX", defaultValue = "0.5",
      description = "Fraction of each hidden layer a client keeps, or a range each client draws its capacity from. Default: ${DEFAULT-VALUE}.")
  String keep = "0.5";

  @Option(names = "--full-model-every", paramLabel = "K", defaultValue = "5",
      description = "FisherDropout: a client gets the full model and re-ranks its neurons every K rounds it takes part in; "
          + "in between it gets only its sub-model. Default: ${DEFAULT-VALUE}.")
  int fullModelEvery = 5;

  @Option(names = "--prune", paramLabel = "S[,RAMP]",
      description = "Magnitude-prune the global model to sparsity S after each round, reached gradually over RAMP rounds (default 1).")
  String prune;

  /** {@code s} wrapped in {@link MagnitudePruning} when {@code --prune} is given. */
  Strategy pruned(Strategy s) {
    if (prune == null) {
      return s;
    }
    String[] p = prune.split(",");
    try {
      double target = Double.parseDouble(p[0].trim());
      int ramp = p.length > 1 ? Integer.parseInt(p[1].trim()) : 1;
      return new MagnitudePruning(s, target, ramp);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--prune must be S or S,RAMP (sparsity in [0, 1), ramp rounds). Provided value: " + prune, e);
    }
  }

  Communication communication() {
    return new Communication(Codecs.parse(uplink), errorFeedback, Codecs.parse(downlink));
  }

  /**
   * The sub-model configuration, or null without {@code --submodel}. {@code localDp} is {@code {CLIP, SIGMA}}
   * of {@code --dp local:CLIP,SIGMA} (or null): with sub-models the clients apply it to the coordinates
   * they send, with the per-coordinate budget of {@link SubModelConfig} and the {@code --dp-noise} policy.
   */
  SubModelConfig subModels(long seed, double[] localDp, double delta, boolean seededNoise) {
    if (submodel == null) {
      return null;
    }
    NeuronPolicy policy = NeuronPolicy.parse(submodel);
    double lo;
    double hi;
    String k = keep.trim();
    try {
      int dash = k.indexOf('-');
      lo = Double.parseDouble(dash < 0 ? k : k.substring(0, dash));
      hi = dash < 0 ? lo : Double.parseDouble(k.substring(dash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--keep must be a fraction F or a range MIN-MAX in (0, 1]. Provided value: " + keep, e);
    }
    if (!Codecs.parse(uplink).isIdentity()) {
      throw new IllegalArgumentException("--uplink-codec cannot be combined with --submodel yet: sub-model "
          + "updates are sent as float32 values with their positions");
    }
    double clip = localDp == null ? 0 : localDp[0];
    double z = localDp == null ? 0 : localDp[1];
    return new SubModelConfig(policy, lo, hi, fullModelEvery, clip, z, delta, seed, seededNoise);
  }

  /**
   * The strategy to run: sub-model updates need position-wise averaging, so plain FedAvg becomes
   * {@link PositionwiseFedAvg}; other strategies cannot average partial updates and are refused.
   */
  static Strategy adapt(Strategy s, SubModelConfig subModels) {
    if (subModels == null) {
      return s;
    }
    if (s instanceof FedAvg f && f.weighting() == FedAvg.Weighting.EXAMPLES) {
      return new PositionwiseFedAvg();
    }
    if (s instanceof PositionwiseFedAvg) {
      return s;
    }
    throw new IllegalArgumentException("--submodel needs position-wise averaging (--strategy fedavg); "
        + s.describe() + " would average the coordinates a client did not train as if it had");
  }
}
