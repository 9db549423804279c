package dev.starling.transport.grpc.peer;

import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.p2p.proto.AliveNotice;
import dev.starling.transport.grpc.p2p.proto.GetModelRequest;
import dev.starling.transport.grpc.p2p.proto.GossipGrpc;
import dev.starling.transport.grpc.p2p.proto.ModelHeader;
import dev.starling.transport.grpc.p2p.proto.ModelPart;
import dev.starling.transport.grpc.p2p.proto.PushAck;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.server.TokenAuthInterceptor;
import dev.starling.transport.grpc.wire.ChunkAssembler;
import dev.starling.transport.grpc.wire.Payloads;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One networked peer of decentralised training: a {@code starling.p2p.v1.Gossip} server plus a channel to each
 * neighbour. {@link #exchange} runs the communication half of a synchronous gossip round: push this peer's model of
 * round r to every neighbour, wait up to the round timeout for theirs, and mix with Metropolis-Hastings weights
 * {@code 1 / (1 + max(d_i, d_j))} over the neighbours that answered (the weight of those that did not stays with this
 * peer, so each row still sums to 1). Churn: a neighbour that misses {@code maxMisses} rounds in a row is dropped and
 * this peer re-wires to the next live peer after it in the peer list (ring order); a peer that pushes to this one
 * while not its neighbour (a peer that re-wired, or a restarted one) becomes a neighbour. {@link #catchUp} fetches a
 * neighbour's current model (GetModel) for a new or restarted peer. Thread-safe; the caller runs rounds one at a
 * time.
 */
public final class PeerNode implements AutoCloseable {
  /** The protocol version this peer speaks ({@code ModelHeader.protocol_version}). */
  public static final int PROTOCOL_VERSION = 1;

  /** How many rounds beyond this peer's next round a received model may be and still be kept. */
  private static final int MAX_AHEAD = 2;

  /** However alive a missing neighbour says it is, a round waits at most this many round timeouts. */
  private static final int HARD_LIMIT = 4;

  private static final System.Logger LOG = System.getLogger(PeerNode.class.getName());

  /** A peer of the run: its id (the token table's and the certificate's name) and gRPC address. */
  public record Address(String id, String host, int port) {
    public Address {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(host, "host");
      if (id.isBlank() || port <= 0 || port > 65535) {
        throw new IllegalArgumentException("peer '" + id + "': needs an id and a port in 1..65535, got " + port);
      }
    }

    @Override
    public String toString() {
      return id + "@" + host + ":" + port;
    }
  }

  /**
   * @param self this peer (its server listens on {@code self}'s host and port)
   * @param peers every peer of the run in ring order, {@code self} included: where re-wiring looks for a replacement
   * @param neighbours the ids this peer gossips with at the start
   * @param tls this peer's certificate and key (server side, and client side under mutual TLS) and the CA that
   *     signed every peer's certificate ({@code trust}: its presence requires mutual TLS); empty: plaintext
   * @param tokens peer id -> token: inbound calls must present one, outbound calls present {@code self}'s; empty: off
   * @param roundTimeout how long a round waits for its neighbours' models
   * @param startTimeout how long the first round waits (peers start at different times)
   * @param maxMisses missed rounds in a row after which a neighbour is dropped
   */
  public record Settings(Address self, List<Address> peers, List<String> neighbours, Optional<TlsFiles> tls,
      Map<String, String> tokens, Duration roundTimeout, Duration startTimeout, int maxMisses) {
    public Settings {
      peers = List.copyOf(peers);
      neighbours = List.copyOf(neighbours);
      tokens = Map.copyOf(tokens);
      if (peers.stream().noneMatch(p -> p.id().equals(self.id()))) {
        throw new IllegalArgumentException("peer '" + self.id() + "' is not in the peer list");
      }
      if (maxMisses < 1) {
        throw new IllegalArgumentException("max-misses must be >= 1. Provided value: " + maxMisses);
      }
      if (!tokens.isEmpty() && !tokens.containsKey(self.id())) {
        throw new IllegalArgumentException("the token table has no token for this peer '" + self.id() + "'");
      }
    }
  }

  /** A model received from a neighbour. */
  private record Received(String id, int degree, float[] model) {}

  /** A neighbour's model and the last round it completed, from {@link #catchUp}. */
  public record Snapshot(String from, int round, ParameterSet model) {}

  /**
   * The outcome of one round's exchange.
   *
   * @param mixed this peer's model after mixing
   * @param neighbours the neighbours after this round (after any re-wiring)
   * @param answered the neighbours whose round-r model arrived in time
   * @param failures one per neighbour that did not answer; the reason says whether it was dropped and the re-wiring
   * @param bytesSent bytes of the messages this peer sent this round
   * @param bytesReceived bytes of the round-r messages it received
   */
  public record Exchange(ParameterSet mixed, List<String> neighbours, List<String> answered,
      List<ClientFailure> failures, long bytesSent, long bytesReceived) {}

  private final Settings settings;
  private final ParameterSet template;
  private final Map<String, Address> byId = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Map<Integer, Map<String, Received>> inbox = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicLong> receivedBytes = new ConcurrentHashMap<>();
  private final Set<String> neighbours = new LinkedHashSet<>();
  private final Set<String> dropped = new LinkedHashSet<>();
  private final Map<String, Integer> misses = new HashMap<>();
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private final Server server;
  private volatile int currentRound;
  private volatile ParameterSet current;
  private boolean firstRound = true;

  /** Starts the server; {@code initial} is the model this peer starts from (its shape is every peer's). */
  public PeerNode(Settings settings, ParameterSet initial) throws IOException {
    this.settings = settings;
    this.template = initial;
    this.current = initial;
    for (Address a : settings.peers()) {
      if (byId.put(a.id(), a) != null) {
        throw new IllegalArgumentException("peer '" + a.id() + "' is listed twice");
      }
    }
    for (String n : settings.neighbours()) {
      if (!byId.containsKey(n) || n.equals(settings.self().id())) {
        throw new IllegalArgumentException("neighbour '" + n + "' is not another peer of the list");
      }
      neighbours.add(n);
    }
    server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.self().host(), settings.self().port()),
            dev.starling.transport.grpc.server.ServerTls.credentials(settings.tls().orElse(null), "a peer"))
        .addService(ServerInterceptors.intercept(new Service(), new TokenAuthInterceptor(settings.tokens())))
        .build().start();
  }

  /** The port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /** The current neighbours. */
  public synchronized List<String> neighbours() {
    return List.copyOf(neighbours);
  }

  /** Sets the model GetModel answers with and the last round completed. */
  public void publish(int round, ParameterSet model) {
    current = model;
    currentRound = round;
  }

  /**
   * The current model of the neighbour that has completed the most rounds, asked of every neighbour with the round
   * timeout; empty when none answers. A new or restarted peer continues from it.
   */
  public Optional<Snapshot> catchUp() {
    Snapshot best = null;
    for (String n : neighbours()) {
      try {
        Iterator<ModelPart> it = GossipGrpc.newBlockingStub(call(n))
            .withDeadlineAfter(settings.roundTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .getModel(GetModelRequest.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
                .setPeerId(settings.self().id()).build());
        ModelHeader h = null;
        ChunkAssembler asm = null;
        while (it.hasNext()) {
          ModelPart p = it.next();
          if (p.hasHeader()) {
            h = p.getHeader();
            asm = assembler(h, "model of peer " + n);
          } else if (asm != null) {
            asm.accept(p.getChunk());
          }
        }
        if (asm == null) {
          throw new IllegalStateException("peer " + n + " sent no header");
        }
        ParameterSet m = asm.model(template.size());
        if (best == null || h.getRound() > best.round()) {
          best = new Snapshot(n, h.getRound(), m);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.INFO, "catch-up: neighbour {0} did not answer: {1}", n, e.getMessage());
      }
    }
    return Optional.ofNullable(best);
  }

  /** One round's communication: push {@code trained} (this peer's model after its local step), wait, mix. */
  public Exchange exchange(int round, ParameterSet trained) throws InterruptedException {
    trained.checkSameSpec(template, "trained model");
    List<String> targets;
    synchronized (this) {
      currentRound = Math.max(currentRound, round - 1);
      targets = List.copyOf(neighbours);
    }
    int degree = targets.size();
    long sent = 0;
    for (String n : targets) {
      sent += push(n, round, degree, trained);
    }
    Duration timeout = firstRound ? settings.startTimeout() : settings.roundTimeout();
    firstRound = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Received> got;
    List<ClientFailure> failures = new ArrayList<>();
    List<String> answered = new ArrayList<>();
    synchronized (this) {
      got = inbox.computeIfAbsent(round, r -> new ConcurrentHashMap<>());
      long start = System.nanoTime();
      long hardDeadline = start + HARD_LIMIT * timeout.toNanos();
      long beat = timeout.toNanos() / 4;
      long nextBeat = start;
      while (!got.keySet().containsAll(neighbours)) {
        long now = System.nanoTime();
        if (now >= nextBeat) {
          alive(round);
          nextBeat = now + beat;
        }
        // a missing neighbour is waited for while it says it is alive (it waits for its own neighbours)
        long until = deadline;
        for (String n : neighbours) {
          if (!got.containsKey(n)) {
            Long seen = lastSeen.get(n);
            if (seen != null && seen > start) {
              until = Math.max(until, seen + timeout.toNanos());
            }
          }
        }
        until = Math.min(until, hardDeadline);
        if (now >= until) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(this, Math.min(until, nextBeat) - now);
      }
      for (String n : List.copyOf(neighbours)) {
        if (got.containsKey(n)) {
          misses.put(n, 0);
          answered.add(n);
          continue;
        }
        int m = misses.merge(n, 1, Integer::sum);
        String reason = "no round-" + round + " model within " + timeout.toMillis() + " ms (" + m + " in a row)";
        if (m >= settings.maxMisses()) {
          neighbours.remove(n);
          dropped.add(n);
          misses.remove(n);
          Optional<String> next = replacement(n);
          // the peer beyond the gap may have re-wired to this one already (its push made it a neighbour)
          boolean already = next.isPresent() && neighbours.contains(next.get());
          next.ifPresent(neighbours::add);
          reason += "; dropped" + next.map(x -> (already ? ", already wired to " : ", re-wired to ") + x)
              .orElse(", no live peer to re-wire to");
          LOG.log(Level.WARNING, "peer {0}: neighbour {1} {2}", settings.self().id(), n, reason);
        }
        failures.add(new ClientFailure(new ClientId(n), ErrorCode.DEADLINE_EXCEEDED, reason));
      }
      // models from peers that joined this round (re-wired to us) count too
      for (String n : got.keySet()) {
        if (!answered.contains(n) && neighbours.contains(n)) {
          answered.add(n);
        }
      }
      inbox.keySet().removeIf(r -> r <= round);
    }
    AtomicLong rb = receivedBytes.remove(round);
    receivedBytes.keySet().removeIf(r -> r <= round);
    float[] own = trained.flatten();
    double[] acc = new double[own.length];
    double selfWeight = 1;
    for (String n : answered) {
      Received r = got.get(n);
      double w = 1.0 / (1 + Math.max(degree, r.degree()));
      selfWeight -= w;
      float[] x = r.model();
      for (int t = 0; t < acc.length; t++) {
        acc[t] += w * x[t];
      }
    }
    float[] mixed = new float[own.length];
    for (int t = 0; t < acc.length; t++) {
      mixed[t] = (float) (acc[t] + selfWeight * own[t]);
    }
    ParameterSet out = template.unflatten(mixed);
    publish(round, out);
    return new Exchange(out, neighbours(), List.copyOf(answered), failures, sent, rb == null ? 0 : rb.get());
  }

  /**
   * The first peer beyond {@code lost}, seen from this peer in ring order (further forward if {@code lost} was ahead
   * of this peer, further back if it was behind: both ends of a gap in a ring then wire to each other), that is live
   * as far as this peer knows and not this peer; empty when there is none.
   */
  private Optional<String> replacement(String lost) {
    List<String> ids = new ArrayList<>(byId.keySet());
    int n = ids.size();
    int at = ids.indexOf(lost);
    int self = ids.indexOf(settings.self().id());
    int step = Math.floorMod(at - self, n) <= n / 2 ? 1 : -1;
    for (int k = 1; k < n; k++) {
      String c = ids.get(Math.floorMod(at + step * k, n));
      if (!c.equals(settings.self().id()) && !dropped.contains(c)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** Tells every neighbour, without waiting for answers, that this peer is alive and waiting in {@code round}. */
  private void alive(int round) {
    AliveNotice notice = AliveNotice.newBuilder().setProtocolVersion(PROTOCOL_VERSION).setPeerId(settings.self().id())
        .setRound(round).build();
    for (String n : neighbours) {
      GossipGrpc.newStub(call(n)).withDeadlineAfter(settings.roundTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .alive(notice, new StreamObserver<>() {
            @Override
            public void onNext(PushAck ack) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
    }
  }

  /** Pushes asynchronously; returns the bytes handed to the stream. */
  private long push(String to, int round, int degree, ParameterSet model) {
    StreamObserver<ModelPart> req = GossipGrpc.newStub(call(to)).withWaitForReady()
        .withDeadlineAfter(Math.max(settings.roundTimeout().toMillis(), settings.startTimeout().toMillis()),
            TimeUnit.MILLISECONDS)
        .push(new StreamObserver<>() {
          @Override
          public void onNext(PushAck ack) {}

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            boolean refused = s.getCode() == Status.Code.UNAUTHENTICATED || s.getCode() == Status.Code.PERMISSION_DENIED
                || s.getCode() == Status.Code.INVALID_ARGUMENT;
            LOG.log(refused ? Level.WARNING : Level.DEBUG, "push of round {0} to {1} failed: {2}", round, to, s);
          }

          @Override
          public void onCompleted() {}
        });
    long bytes = 0;
    for (ModelPart p : parts(round, degree, model)) {
      bytes += p.getSerializedSize();
      req.onNext(p);
    }
    req.onCompleted();
    return bytes;
  }

  private List<ModelPart> parts(int round, int degree, ParameterSet model) {
    List<ModelPart> out = new ArrayList<>();
    out.add(ModelPart.newBuilder().setHeader(ModelHeader.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
        .setPeerId(settings.self().id()).setRound(round).setDegree(degree)
        .setSpec(Payloads.spec(model, dev.starling.core.message.Attachments.none()))).build());
    Iterator<Chunk> it = Payloads.chunks(round, List.of(model), Payloads.DEFAULT_CHUNK_VALUES);
    while (it.hasNext()) {
      out.add(ModelPart.newBuilder().setChunk(it.next()).build());
    }
    return out;
  }

  private ChunkAssembler assembler(ModelHeader h, String source) {
    if (h.getProtocolVersion() != PROTOCOL_VERSION) {
      throw new IllegalArgumentException(source + ": protocol version " + h.getProtocolVersion() + ", this peer speaks "
          + PROTOCOL_VERSION);
    }
    ChunkAssembler a = new ChunkAssembler(h.getSpec(), template.size(), true, source);
    if (Payloads.modelValues(h.getSpec()) != template.size()) {
      throw new IllegalArgumentException(source + ": " + Payloads.modelValues(h.getSpec()) + " values, this peer's model has "
          + template.size());
    }
    return a;
  }

  private ManagedChannel channel(String id) {
    return channels.computeIfAbsent(id, k -> {
      Address a = byId.get(k);
      ManagedChannel c = NettyChannelBuilder.forAddress(a.host(), a.port(), channelCredentials(settings.tls().orElse(null)))
          .maxInboundMessageSize(8 * 1024 * 1024).build();
      return c;
    });
  }

  private io.grpc.Channel call(String id) {
    ManagedChannel c = channel(id);
    if (settings.tokens().isEmpty()) {
      return c;
    }
    Metadata md = new Metadata();
    md.put(TokenAuthInterceptor.CLIENT_ID_HEADER, settings.self().id());
    md.put(TokenAuthInterceptor.AUTHORIZATION, "Bearer " + settings.tokens().get(settings.self().id()));
    return ClientInterceptors.intercept(c, MetadataUtils.newAttachHeadersInterceptor(md));
  }

  /** Called by the service when a complete round-r model arrived from {@code from}. */
  private synchronized void arrived(int round, Received r, long bytes) {
    if (round <= currentRound) {
      return; // a round this peer has finished
    }
    if (round > currentRound + MAX_AHEAD) {
      // neighbours wait for each other, so a model this far ahead is not a round this peer will run soon: keeping it
      // would let any peer fill the inbox
      LOG.log(Level.WARNING, "peer {0}: ignored a round-{1} model from {2} (this peer is at round {3})",
          settings.self().id(), round, r.id(), currentRound + 1);
      return;
    }
    if (!neighbours.contains(r.id()) && !r.id().equals(settings.self().id())) {
      dropped.remove(r.id());
      neighbours.add(r.id());
      LOG.log(Level.INFO, "peer {0}: {1} gossips with this peer; now a neighbour", settings.self().id(), r.id());
    }
    inbox.computeIfAbsent(round, k -> new ConcurrentHashMap<>()).put(r.id(), r);
    receivedBytes.computeIfAbsent(round, k -> new AtomicLong()).addAndGet(bytes);
    notifyAll();
  }

  private final class Service extends GossipGrpc.GossipImplBase {
    @Override
    public StreamObserver<ModelPart> push(StreamObserver<PushAck> response) {
      String authenticated = TokenAuthInterceptor.CLIENT_ID.get();
      return new StreamObserver<>() {
        ModelHeader header;
        ChunkAssembler asm;
        long bytes;
        boolean failed;

        @Override
        public void onNext(ModelPart p) {
          if (failed) {
            return;
          }
          bytes += p.getSerializedSize();
          try {
            if (p.hasHeader()) {
              header = p.getHeader();
              String id = header.getPeerId();
              if (authenticated != null && !authenticated.equals(id)) {
                throw new SecurityException("authenticated as '" + authenticated + "' but sends as peer '" + id + "'");
              }
              if (!byId.containsKey(id)) {
                throw new IllegalArgumentException("peer '" + id + "' is not in this peer's list");
              }
              asm = assembler(header, "round-" + header.getRound() + " model of peer " + id);
            } else if (asm == null) {
              throw new IllegalArgumentException("a chunk before the header");
            } else {
              asm.accept(p.getChunk());
            }
          } catch (RuntimeException e) {
            failed = true;
            response.onError((e instanceof SecurityException ? Status.PERMISSION_DENIED : Status.INVALID_ARGUMENT)
                .withDescription(e.getMessage()).asRuntimeException());
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          if (failed) {
            return;
          }
          try {
            if (asm == null) {
              throw new IllegalArgumentException("no header");
            }
            float[] m = asm.model(template.size()).flatten();
            arrived(header.getRound(), new Received(header.getPeerId(), header.getDegree(), m), bytes);
            response.onNext(PushAck.newBuilder().setRound(header.getRound()).build());
            response.onCompleted();
          } catch (RuntimeException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
          }
        }
      };
    }

    @Override
    public void alive(AliveNotice notice, StreamObserver<PushAck> response) {
      String authenticated = TokenAuthInterceptor.CLIENT_ID.get();
      String id = notice.getPeerId();
      if ((authenticated != null && !authenticated.equals(id)) || !byId.containsKey(id)) {
        response.onError(Status.PERMISSION_DENIED.withDescription("peer '" + id + "' is not this caller or not listed")
            .asRuntimeException());
        return;
      }
      synchronized (PeerNode.this) {
        lastSeen.put(id, System.nanoTime());
        PeerNode.this.notifyAll();
      }
      response.onNext(PushAck.newBuilder().setRound(notice.getRound()).build());
      response.onCompleted();
    }

    @Override
    public void getModel(GetModelRequest req, StreamObserver<ModelPart> response) {
      int degree;
      synchronized (PeerNode.this) {
        degree = neighbours.size();
      }
      for (ModelPart p : parts(currentRound, degree, current)) {
        response.onNext(p);
      }
      response.onCompleted();
    }
  }

  private ChannelCredentials channelCredentials(TlsFiles tls) {
    ChannelCredentials base;
    if (tls == null) {
      base = InsecureChannelCredentials.create();
    } else {
      try {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        if (tls.trust().isPresent()) {
          b.trustManager(tls.trust().get().toFile());
        }
        if (tls.certChain().isPresent()) {
          b.keyManager(tls.certChain().get().toFile(), tls.privateKey().orElseThrow().toFile());
        }
        base = b.build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
      }
    }
    return base;
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels.values()) {
      c.shutdown();
    }
    for (ManagedChannel c : channels.values()) {
      c.awaitTermination(2, TimeUnit.SECONDS);
    }
    server.shutdown();
    server.awaitTermination(2, TimeUnit.SECONDS);
    server.shutdownNow();
  }
}
