package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.learners.Learners;
import dev.starling.run.Durations;
import dev.starling.run.PeerRun;
import dev.starling.run.RunSpec;
import dev.starling.server.RoundLoop;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.peer.PeerNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code starling peer}: one networked peer of decentralised training. The peer flags are its own; every other flag
 * is {@code simulate}'s run specification (model, data, partition, learning settings, {@code --p2p} topology), read by
 * {@code simulate}'s own parser, so a peer and {@code simulate --p2p} with the same flags see the same data.
 */
@Command(name = "peer", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"One peer of decentralised training over gRPC, without a server (see README, Peer-to-peer training).",
        "Every flag not listed here is simulate's (--dataset, --partition, --model, --local-epochs, --lr, --rounds,"
            + " --p2p TOPOLOGY [ring], --seed, ...); --clients defaults to the number of peers in --peers."})
final class PeerCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--peers", paramLabel = "FILE", required = true,
      description = "Every peer of the run, one 'ID HOST:PORT' per line in ring order ('#' comments); line I is peer I.")
  Path peersFile;

  @Option(names = "--peer-index", paramLabel = "I", required = true,
      description = "This peer's line in --peers (from 0) and its data partition.")
  int index;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      description = "Address to listen on. Default: this peer's address in --peers.")
  String listen;

  @Option(names = "--tokens", paramLabel = "FILE",
      description = "Peer tokens, one 'PEER_ID TOKEN' per line (the server's format): calls must present one; this"
          + " peer presents its own.")
  Path tokens;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "This peer's certificate chain: turns on TLS.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "This peer's private key (PKCS#8 PEM).")
  Path tlsKey;

  @Option(names = "--tls-ca", paramLabel = "PEM",
      description = "CA of the peers' certificates: trusted for outgoing calls and required of incoming ones (mutual"
          + " TLS; a certificate's CN is its peer id).")
  Path tlsCa;

  @Option(names = "--gossip-timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "How long a round waits for the neighbours' models. Default: ${DEFAULT-VALUE}.")
  String gossipTimeout;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
      description = "How long the first round waits (peers start at different times). Default: ${DEFAULT-VALUE}.")
  String startTimeout;

  @Option(names = "--max-misses", paramLabel = "K", defaultValue = "2",
      description = "Rounds in a row a neighbour may miss before it is dropped and this peer re-wires. Default:"
          + " ${DEFAULT-VALUE}.")
  int maxMisses;

  @Option(names = "--catch-up", description = "A new or restarted peer: start from the most advanced neighbour's"
      + " current model and round (GetModel) instead of the initial model.")
  boolean catchUp;

  @Option(names = "--metrics-out", paramLabel = "FILE", description = "One JSON object per gossip round (JSON Lines).")
  Path metricsOut;

  @Option(names = "--model-out", paramLabel = "FILE", description = "This peer's final model.")
  Path modelOut;

  @Unmatched
  List<String> runArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true);
    CommandLine cl = spec.commandLine();
    if (metricsOut != null) {
      RunChecks.requireWritableFile(cl, "--metrics-out", metricsOut);
    }
    if (modelOut != null) {
      RunChecks.requireWritableFile(cl, "--model-out", modelOut);
    }
    if (maxMisses < 1) {
      throw new CommandLine.ParameterException(cl, "--max-misses must be >= 1. Provided value: " + maxMisses);
    }
    List<PeerNode.Address> peers = readPeers(peersFile);
    if (index < 0 || index >= peers.size()) {
      throw new CommandLine.ParameterException(cl, "--peer-index must be in 0.." + (peers.size() - 1) + " (" + peersFile
          + " lists " + peers.size() + " peers). Provided value: " + index);
    }
    List<String> args = new ArrayList<>(runArgs);
    if (!args.contains("--clients")) {
      args.addAll(List.of("--clients", Integer.toString(peers.size())));
    }
    if (!args.contains("--p2p")) {
      args.addAll(List.of("--p2p", "ring"));
    }
    SimulateCommand run = new SimulateCommand();
    CommandLine sim = new CommandLine(run);
    try {
      sim.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    RunSpec runSpec = run.runSpec();
    if (runSpec.population().clients() != peers.size()) {
      throw new CommandLine.ParameterException(cl, "--clients " + runSpec.population().clients() + " but " + peersFile
          + " lists " + peers.size() + " peers");
    }
    PeerRun.check(runSpec, index);
    PeerNode.Address self = peers.get(index);
    PeerNode.Address bind = self;
    if (listen != null) {
      int colon = listen.lastIndexOf(':');
      try {
        bind = new PeerNode.Address(self.id(), listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(cl, "--listen must be HOST:PORT. Provided value: " + listen);
      }
    }
    List<String> neighbours = new ArrayList<>();
    for (int j : PeerRun.neighbours(runSpec, index)) {
      neighbours.add(peers.get(j).id());
    }
    Optional<TlsFiles> tls = Optional.empty();
    if (tlsCert != null || tlsKey != null || tlsCa != null) {
      if (tlsCert == null || tlsKey == null) {
        throw new CommandLine.ParameterException(cl, "TLS needs both --tls-cert and --tls-key");
      }
      tls = Optional.of(new TlsFiles(Optional.of(tlsCert), Optional.of(tlsKey), Optional.ofNullable(tlsCa)));
    }
    Map<String, String> tokenTable = ServerCommand.readTokens(tokens);
    Duration gossip = Durations.parse(gossipTimeout, "gossip-timeout");
    Duration start = Durations.parse(startTimeout, "start-timeout");
    PeerNode.Settings settings = new PeerNode.Settings(bind, peers, neighbours, tls, tokenTable, gossip, start, maxMisses);

    boolean std = switch (run.standardize.toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      case "auto" -> !run.data.isImageData();
      default -> throw new CommandLine.ParameterException(cl, "--standardize must be auto, on or off");
    };
    Optional<String> key = run.partition.startsWith("by:") ? Optional.of(run.partition.substring(3)) : Optional.empty();
    LoadedData loaded = run.data.load(run.seed, key);
    Dataset train = loaded.train();
    try (PeerRun peer = PeerRun.create(runSpec, train, loaded.test(), std, index, settings);
         MetricsWriter metrics = metricsOut == null ? null : new MetricsWriter(metricsOut)) {
      out.printf(Locale.ROOT, "peer      %s (%d of %d), listening on %s:%d, neighbours %s, %s%s%n", self.id(), index,
          peers.size(), bind.host(), peer.node().port(), neighbours, tls.isEmpty() ? "plaintext" : tlsCa != null
              ? "mutual TLS" : "TLS", tokenTable.isEmpty() ? ", no tokens" : ", tokens");
      out.printf(Locale.ROOT, "data      %s: %d rows of its own, test %d rows%n", loaded.description(), peer.rows(),
          peer.data().testSet().size());
      RoundLoop.Result result = peer.run(metrics == null ? new dev.starling.server.RoundListener() {} : metrics, catchUp);
      var last = result.history().last();
      out.printf(Locale.ROOT, "stopped   %s; %d rounds%s%n", result.history().stopReason(),
          result.history().rounds().size(), last.map(r -> String.format(Locale.ROOT, "; own test accuracy %.4f",
              r.metric("test_accuracy"))).orElse(""));
      if (modelOut != null) {
        Map<String, String> meta = new LinkedHashMap<>();
        String modelId = Learners.parse(run.model).id();
        meta.put(ModelFiles.MODEL, modelId);
        meta.put(ModelFiles.NUM_FEATURES, Integer.toString(train.numFeatures()));
        meta.put(ModelFiles.NUM_CLASSES, Integer.toString(train.numClasses()));
        ParameterSet aux = dev.starling.data.Preprocessing.of(train, peer.data().standardizer()).writeTo(meta);
        meta.put("peer", self.id());
        meta.put("created_by", "starling " + Main.VERSION);
        ModelFiles.write(modelOut, new ModelArchive(meta, result.global(), aux));
      }
    }
    return 0;
  }

  /** The peers file: one 'ID HOST:PORT' per line, '#' comments; errors name the file and line. */
  static List<PeerNode.Address> readPeers(Path file) throws IOException {
    List<PeerNode.Address> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      int colon = parts.length == 2 ? parts[1].lastIndexOf(':') : -1;
      if (colon <= 0) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected 'PEER_ID HOST:PORT', got '" + line + "'");
      }
      try {
        PeerNode.Address a = new PeerNode.Address(parts[0], parts[1].substring(0, colon),
            Integer.parseInt(parts[1].substring(colon + 1)));
        if (out.stream().anyMatch(p -> p.id().equals(a.id()))) {
          throw new IllegalArgumentException("peer '" + a.id() + "' listed twice");
        }
        out.add(a);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    if (out.size() < 2) {
      throw new IllegalArgumentException(file + ": needs at least two peers, found " + out.size());
    }
    return out;
  }
}
