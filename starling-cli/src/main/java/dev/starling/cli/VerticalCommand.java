package dev.starling.cli;

import dev.starling.transport.grpc.TlsFiles;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.link.GrpcLink;
import dev.starling.vertical.link.LinkEndpoints;
import dev.starling.vertical.link.LinkListener;
import dev.starling.vertical.link.PartyLink;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code starling vertical}: cross-domain (vertical) federated learning between two parties. */
@Command(name = "vertical", mixinStandardHelpOptions = true,
    description = {"Vertical federated learning: parties hold different columns of the same records, one holds the label.",
        "psi: private set intersection of record ids; train: PSI, then vertical LR or SplitNN on the common rows;",
        "simulate: both parties in this process."},
    subcommands = {VerticalPsiCommand.class, VerticalTrainCommand.class, VerticalSimulateCommand.class,
        CommandLine.HelpCommand.class})
final class VerticalCommand implements Runnable {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: psi, train or simulate");
  }

  /** How this party reaches the other: listen or connect, token, TLS. */
  static final class LinkOptions {
    @Option(names = "--listen", paramLabel = "PORT", description = "Wait for the other party on this port (0: any free port).")
    Integer listen;

    @Option(names = "--connect", paramLabel = "HOST:PORT", description = "Dial the other party.")
    String connect;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "",
        description = "Shared secret both parties give (sent as a bearer token; the listener refuses a call without it).")
    String token;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "This party's certificate chain (listener: turns on TLS; connecting party: mutual TLS).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8 PEM) of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "PEM",
        description = "Listener: CA of the connecting party's certificate (requires mutual TLS). Connecting party: CA of the listener's certificate (turns on TLS).")
    Path tlsCa;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "Longest wait for the other party (connection and each message). Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    private LinkListener listener;
    private ManagedChannel channel;

    /** Checks the flags (bad usage: IllegalArgumentException, exit 2) before anything starts. */
    void validate() {
      if ((listen == null) == (connect == null)) {
        throw new IllegalArgumentException("give exactly one of --listen PORT and --connect HOST:PORT");
      }
      if (listen != null && (listen < 0 || listen > 65535)) {
        throw new IllegalArgumentException("--listen must be a port in 0..65535. Provided value: " + listen);
      }
      if (connect != null) {
        int colon = connect.lastIndexOf(':');
        if (colon <= 0 || !connect.substring(colon + 1).matches("\\d{1,5}")) {
          throw new IllegalArgumentException("--connect must be HOST:PORT. Provided value: " + connect);
        }
      }
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("--tls-cert and --tls-key go together");
      }
      if (listen != null && tlsCa != null && tlsCert == null) {
        throw new IllegalArgumentException("--tls-ca on the listening party requires mutual TLS: give --tls-cert and --tls-key too");
      }
      for (Path p : Arrays.asList(tlsCert, tlsKey, tlsCa)) {
        if (p != null && !Files.isReadable(p)) {
          throw new IllegalArgumentException("cannot read TLS file " + p);
        }
      }
      if (timeoutSeconds <= 0) {
        throw new IllegalArgumentException("--timeout must be > 0. Provided value: " + timeoutSeconds);
      }
    }

    boolean leads() {
      return listen != null;
    }

    private Optional<TlsFiles> tls() {
      if (tlsCert == null && tlsCa == null) {
        return Optional.empty();
      }
      return Optional.of(new TlsFiles(Optional.ofNullable(tlsCert), Optional.ofNullable(tlsKey), Optional.ofNullable(tlsCa)));
    }

    /** Opens the link (the listener waits for the peer), printing where it listens. */
    PartyLink open() {
      Duration t = Duration.ofSeconds(timeoutSeconds);
      if (listen != null) {
        listener = new LinkListener(LinkEndpoints.server(listen, tls()), token, t);
        System.out.println("listening on port " + listener.port() + (tls().isPresent() ? " (TLS)" : " (plaintext)"));
        System.out.flush();
        return listener.accept(t);
      }
      int colon = connect.lastIndexOf(':');
      channel = LinkEndpoints.channel(connect.substring(0, colon), Integer.parseInt(connect.substring(colon + 1)), tls());
      return GrpcLink.connect(channel, token, t);
    }

    void close() {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (listener != null) {
        listener.close();
      }
    }
  }

  /** The training settings the label party chooses (the feature party takes them from the protocol). */
  static final class TrainingOptions {
    @Option(names = "--epochs", defaultValue = "5", description = "Epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Rows per step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--lr", defaultValue = "0.1", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--l2", defaultValue = "0.0001", description = "L2 penalty on weights. Default: ${DEFAULT-VALUE}.")
    double l2;

    @Option(names = "--test-fraction", defaultValue = "0.2", description = "Held-out share of the common rows. Default: ${DEFAULT-VALUE}.")
    double testFraction;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the split, batch order and initialisation. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--hidden", split = ",", paramLabel = "H", defaultValue = "16",
        description = "Hidden widths of the bottom models (SplitNN). Default: ${DEFAULT-VALUE}.")
    int[] hidden;

    @Option(names = "--embed", defaultValue = "4", description = "Cut-layer width of each bottom model (SplitNN). Default: ${DEFAULT-VALUE}.")
    int embed;

    @Option(names = "--top-hidden", split = ",", paramLabel = "H", defaultValue = "16",
        description = "Hidden widths of the top model (SplitNN). Default: ${DEFAULT-VALUE}.")
    int[] topHidden;

    @Option(names = "--paillier-bits", defaultValue = "2048", description = "Paillier modulus bits (vertical LR; >= 2048). Default: ${DEFAULT-VALUE}.")
    int paillierBits;

    /** The validated settings (IllegalArgumentException naming the flag otherwise). */
    VerticalConfig config() {
      if (epochs <= 0 || batch <= 0 || !(lr > 0) || !(l2 >= 0) || !(testFraction >= 0 && testFraction < 1)) {
        throw new IllegalArgumentException("need --epochs > 0, --batch > 0, --lr > 0, --l2 >= 0 and --test-fraction in [0, 1);"
            + " got " + epochs + ", " + batch + ", " + lr + ", " + l2 + ", " + testFraction);
      }
      if (embed <= 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0) || Arrays.stream(topHidden).anyMatch(h -> h <= 0)) {
        throw new IllegalArgumentException("--embed, --hidden and --top-hidden widths must be > 0");
      }
      if (paillierBits < dev.starling.privacy.he.Paillier.MIN_BITS) {
        throw new IllegalArgumentException("--paillier-bits must be >= " + dev.starling.privacy.he.Paillier.MIN_BITS
            + ". Provided value: " + paillierBits);
      }
      return new VerticalConfig(epochs, batch, lr, l2, testFraction, seed);
    }
  }
}
