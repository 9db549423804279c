package dev.starling.cli;

import dev.starling.run.InvalidRunException;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.data.Standardizer;
import dev.starling.learners.Learners;
import dev.starling.run.ClientTrainers;
import dev.starling.run.RunAssembler;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.SecAggIdentity;
import dev.starling.transport.grpc.client.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling client}: one party of a networked deployment; dials the server and trains on local data. */
@Command(name = "client", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Joins a federated run: dials the server (works behind NAT), trains on local data when asked,",
        "streams updates back in chunks, and reconnects with backoff if the server goes away."})
final class ClientCommand implements Callable<Integer> {
  /** Same stream as Simulation's partitioning, so '--shard i/n' matches simulation client i of n. */
  static final long PARTITION_STREAM = 0x9A27L;

  @Option(names = "--server", paramLabel = "HOST:PORT", required = true, description = "The server to dial.")
  String server;

  @Option(names = "--id", paramLabel = "ID", required = true, description = "This client's id (must match its token on the server).")
  String id;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Authentication token (prefer --token-file: a flag shows in 'ps').")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the authentication token.")
  Path tokenFile;

  @Mixin
  DataOptions data = new DataOptions();

  @Option(names = "--data", paramLabel = "NAME|PATH", description = "Local data: same as --dataset.")
  String dataPath;

  @Option(names = "--shard", paramLabel = "I/N", description = "Use only IID part I of N of the training split (for demos on one dataset).")
  String shard;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the train/test split and sharding. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--standardize", paramLabel = "auto|on|off", defaultValue = "auto", description = "Per-client z-scoring (auto: on for CSV). Default: ${DEFAULT-VALUE}.")
  String standardize;

  @Option(names = "--learner", paramLabel = "sgd|constant", defaultValue = "sgd",
      description = "sgd: the model the server names (logreg, mlp:..., or one a learner provider on the class path adds); constant: returns the global model nudged by 1e-3 without training (transport benchmarks). Default: ${DEFAULT-VALUE}.")
  String learner;

  @Option(names = "--instances", paramLabel = "K", defaultValue = "1", description = "Run K clients ID-0..ID-(K-1) in this JVM (benchmarks). Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "CA that signed the server certificate: turns on TLS.")
  Path tlsCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate chain for mutual TLS.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Client private key (PKCS#8 PEM) for mutual TLS.")
  Path tlsKey;

  @Option(names = "--delay-fit", paramLabel = "MS", defaultValue = "0", hidden = true,
      description = "Fault-injection drills: sleep this long before each local training job (a slow client).")
  long delayFitMs;

  @Option(names = "--drop-before-unmask", paramLabel = "ROUND", defaultValue = "-1", hidden = true,
      description = "Fault-injection drills: in secure aggregation round ROUND, crash (halt the JVM, exit code 3) once the server holds this client's masked input, before sending unmasking shares.")
  int dropBeforeUnmask;

  @Option(names = "--give-up-after", paramLabel = "DURATION", defaultValue = "5m", description = "Stop reconnecting after the server has been unreachable this long. Default: ${DEFAULT-VALUE}.")
  String giveUpAfter;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Keep this client's own state between rounds (SCAFFOLD's"
      + " control variate, error-feedback residuals) in DIR, written after every round and loaded on restart; a state"
      + " file of another run is refused.")
  Path stateDir;

  @Option(names = "--secagg-key", paramLabel = "FILE", description = "This client's Ed25519 identity key (PEM, e.g."
      + " 'openssl genpkey -algorithm ed25519'), for servers that run authenticated secure aggregation (secagg-auth);"
      + " needs --secagg-peers.")
  Path secaggKey;

  @Option(names = "--secagg-peers", paramLabel = "DIR", description = "Every client's identity public key, one"
      + " <client-id>.pub (PEM) each, this client's included: the same directory as the server's secagg-keys.")
  Path secaggPeers;

  @Option(names = "--ledger-key", paramLabel = "FILE", description = "Sign (round, SHA-256 of each update) with this Ed25519"
      + " key (PEM, the same kind of file as --secagg-key, which may be reused) for a server whose ledger records"
      + " client-signed updates (server --ledger-client-keys; it refuses unsigned updates).")
  Path ledgerKey;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec commandSpec;

  /** The statistics of this client's raw training rows, for a server that agrees standardisation. */
  private dev.starling.transport.grpc.wire.FeatureSums shared;

  @Override
  public Integer call() throws Exception {
    if (stateDir != null) {
      RunChecks.requireWritableDirectory(commandSpec.commandLine(), "--state-dir", stateDir);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    int colon = server.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--server must be HOST:PORT. Provided value: " + server);
    }
    String host = server.substring(0, colon);
    int port = Integer.parseInt(server.substring(colon + 1));
    Optional<String> tok = Optional.ofNullable(token);
    if (tokenFile != null) {
      tok = Optional.of(Files.readString(tokenFile, StandardCharsets.UTF_8).strip());
    }
    Optional<TlsFiles> tls = Optional.empty();
    if (tlsCa != null || tlsCert != null) {
      tls = Optional.of(new TlsFiles(Optional.ofNullable(tlsCert), Optional.ofNullable(tlsKey), Optional.ofNullable(tlsCa)));
    }
    Trainer.Factory base = learner.equals("constant") ? (m, s) -> constant()
        : learner.equals("sgd") ? sgd(out) : null;
    if (base == null) {
      throw new IllegalArgumentException("--learner must be sgd or constant. Provided value: " + learner);
    }
    Trainer.Factory factory = ledgerKey == null ? base : SigningTrainer.wrap(base, IdentityKeys.privateKey(ledgerKey));
    if ((secaggKey == null) != (secaggPeers == null)) {
      throw new picocli.CommandLine.ParameterException(commandSpec.commandLine(), "--secagg-key and --secagg-peers go"
          + " together (a signing key, and the public keys to check the other clients' signatures)");
    }
    java.security.PrivateKey idKey = secaggKey == null ? null : IdentityKeys.privateKey(secaggKey);
    Map<String, java.security.PublicKey> peers = secaggPeers == null ? null
        : IdentityKeys.publicKeys(secaggPeers, "--secagg-peers");
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < instances; i++) {
      String cid = instances == 1 ? id : id + "-" + i;
      ClientSettings cs = new ClientSettings(host, port, cid, tok, tls, 256 * 1024, Duration.ofMillis(200),
          Duration.ofSeconds(5), NetConfig.parseDuration(giveUpAfter, "--give-up-after"));
      Runnable body = () -> {
        try (FederationClient client = new FederationClient(cs, factory)) {
          if (stateDir != null) {
            client.persistStateIn(stateDir);
          }
          if (shared != null) {
            client.shareFeatureStatistics(shared);
          }
          if (idKey != null) {
            java.security.PublicKey mine = peers.get(cid);
            if (mine == null) {
              throw new IllegalArgumentException("--secagg-peers " + secaggPeers + " holds no " + cid + ".pub for this client");
            }
            client.secAggIdentity(new SecAggIdentity(cid, dev.starling.privacy.secagg.SecAggAuth.identity(idKey, mine,
                "--secagg-key " + secaggKey + " of client " + cid), peers));
          }
          if (dropBeforeUnmask > 0) {
            client.dropBeforeUnmasking(dropBeforeUnmask, () -> {
              out.printf(Locale.ROOT, "client %s: fault injection: crashing before unmasking round %d%n", cid, dropBeforeUnmask);
              out.flush();
              Runtime.getRuntime().halt(3); // like kill -9: no goodbye to the server
            });
          }
          client.run();
          out.printf(Locale.ROOT, "client %s: run complete after %d tasks%n", cid, client.tasksDone());
        } catch (RuntimeException e) {
          errors.add(e);
        }
      };
      if (instances == 1) {
        body.run();
      } else {
        threads.add(Thread.ofPlatform().name("client-" + cid).start(body));
      }
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw (RuntimeException) errors.get(0);
    }
    return 0;
  }

  private Trainer.Factory sgd(PrintStream out) throws IOException {
    if (dataPath != null) {
      data.dataset = dataPath;
    }
    LoadedData loaded = data.load(seed, Optional.empty());
    Dataset local = loaded.train();
    if (shard != null) {
      int[] in = parseShard(shard);
      List<ClientShard> shards = Partitioners.parse("iid").partition(local, in[1], RandomSource.seeded(seed).derive(PARTITION_STREAM));
      local = local.subset(shards.get(in[0]).rows()).withName(local.name() + "#" + shards.get(in[0]).key());
    }
    boolean std = switch (standardize.toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      default -> !data.isImageData();
    };
    // standardised with the statistics the server agrees with every client (its Welcome asks for this client's)
    AgreedStandardization.ClientData ready = new AgreedStandardization.ClientData(local, std);
    shared = std ? AgreedStandardization.report(local) : null;
    out.printf(Locale.ROOT, "client %s: %d local rows of %s%n", id, local.size(), loaded.description());
    Trainer.Factory trainers = ClientTrainers.of(Learners::parse, ready::forFit, ready::forEval, local, seed);
    return new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        return create(model, strategy, "", false);
      }

      @Override
      public Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
        if (!clientDp.isEmpty()) {
          // the built-in SgdLearner applies DP-SGD from each task's settings; the chain checks they match the Welcome
          out.printf(Locale.ROOT, "client %s: the server requires %s: this client %s%n", id, clientDp,
              clientDp.startsWith(RunAssembler.DP_SGD_PREFIX) ? "clips and noises every per-example gradient"
                  : clientDp.startsWith(RunAssembler.CLIP_PREFIX) ? "clips its updates before masking (the server noises"
                  + " the sum)" : "clips and noises its updates");
        }
        return delayed(trainers.create(model, strategy, clientDp, seededNoise));
      }

      @Override
      public Trainer create(Trainer.Terms terms) {
        if (terms.subModels().isEmpty()) {
          return create(terms.model(), terms.strategy(), terms.clientDp(), terms.seededNoise());
        }
        out.printf(Locale.ROOT, "client %s: the server trains sub-models (%s): this client trains its own%s%n", id,
            terms.subModels().get().policy(), terms.subModels().get().dpClip() > 0
                ? " and clips and noises the coordinates it sends" : "");
        return delayed(trainers.create(terms));
      }
    };
  }

  /** {@code --shard I/N} as {I, N}, with 0 <= I < N. */
  static int[] parseShard(String v) {
    String[] p = v.split("/");
    try {
      if (p.length == 2) {
        int i = Integer.parseInt(p[0].trim());
        int n = Integer.parseInt(p[1].trim());
        if (i >= 0 && i < n) {
          return new int[] {i, n};
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRunException("shard", "must be I/N with 0 <= I < N, e.g. 0/3. Provided value: " + v);
  }

  /** {@code trainer}, sleeping {@code --delay-fit} before each local training job (fault-injection drills). */
  private Trainer delayed(Trainer trainer) {
    if (delayFitMs <= 0) {
      return trainer;
    }
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        try {
          Thread.sleep(delayFitMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FlException(ErrorCode.CANCELLED, "interrupted");
        }
        return trainer.fit(global, config);
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return trainer.evaluate(global);
      }

      @Override
      public ParameterSet saveState() {
        return trainer.saveState();
      }

      @Override
      public void restoreState(ParameterSet saved) {
        trainer.restoreState(saved);
      }
    };
  }

  /** Returns the global model nudged by 1e-3, in place (no training, no extra copy). */
  private static Trainer constant() {
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        for (Tensor t : global) {
          float[] d = t.data();
          for (int i = 0; i < d.length; i++) {
            d[i] += 1e-3f;
          }
        }
        return new TrainResult(global, 1, 1, Metrics.of(Metrics.LOSS, 0));
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(1, Metrics.builder().put(Metrics.LOSS, 0).put(Metrics.ACCURACY, 0).build());
      }
    };
  }
}
