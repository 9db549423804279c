package dev.starling.cli;

import dev.starling.compression.Codecs;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.run.RunSpec;
import java.util.Optional;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/** The communication-efficiency flags of {@code simulate}: codecs, error feedback, sub-models, pruning. */
final class CommunicationOptions {
  @Option(names = "--uplink-codec", paramLabel = "SPEC", defaultValue = RunSpec.Defaults.CODEC,
      description = "Codec of client updates: " + Codecs.FORMS + ". Default: ${DEFAULT-VALUE}.")
  String uplink = RunSpec.Defaults.CODEC;

  @Option(names = "--error-feedback", description = "Clients keep what the lossy uplink codec dropped and send it later.")
  boolean errorFeedback;

  @Option(names = "--downlink-codec", paramLabel = "SPEC", defaultValue = RunSpec.Defaults.CODEC,
      description = "Codec of the global model sent to clients (e.g. fp16, int8). Default: ${DEFAULT-VALUE}.")
  String downlink = RunSpec.Defaults.CODEC;

  @Option(names = "--submodel", paramLabel = "POLICY",
      description = "Clients train a sub-model of the MLP's hidden neurons or of djl:cnn's dense layer: "
          + NeuronPolicy.FORMS + " (FisherDropout ranks neurons by Fisher information on the client's data; mlp"
          + " only).")
  String submodel;

  @Option(names = "--keep", paramLabel = "F|MIN-MAX", defaultValue = RunSpec.Defaults.KEEP,
      description = "Fraction of each hidden (or djl:cnn dense) layer a client keeps, or a range each client draws its capacity from. Default: ${DEFAULT-VALUE}.")
  String keep = RunSpec.Defaults.KEEP;

  @Option(names = "--full-model-every", paramLabel = "K", defaultValue = "" + RunSpec.Defaults.FULL_MODEL_EVERY,
      description = "FisherDropout: a client gets the full model and re-ranks its neurons every K rounds it takes part in; "
          + "in between it gets only its sub-model. Default: ${DEFAULT-VALUE}.")
  int fullModelEvery = RunSpec.Defaults.FULL_MODEL_EVERY;

  @Option(names = "--prune", paramLabel = "S[,RAMP]",
      description = "Magnitude-prune the global model to sparsity S after each round, reached gradually over RAMP rounds (default 1).")
  String prune;

  RunSpec.Compression compression() {
    RunSpec.Compression c = new RunSpec.Compression(uplink, errorFeedback, downlink, OptionalDouble.empty(), 1);
    return prune == null ? c : c.withPrune(prune);
  }

  Optional<RunSpec.SubModels> subModels() {
    return submodel == null ? Optional.empty() : Optional.of(RunSpec.SubModels.of(submodel, keep, fullModelEvery));
  }
}
