package dev.starling.transport.grpc.server;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.secagg.SecAggParams;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.privacy.secagg.SecureSum;
import java.util.List;
import java.util.Objects;

/**
 * The networked {@link SecureSum}: the server half of secure aggregation over the clients' gRPC streams
 * ({@link SecAggCoordinator}), while each client process masks its own update. Put privacy's one
 * {@link SecureAggregationStrategy} over it and enable it on the server
 * ({@link FederationServer#enableSecureAggregation(GrpcSecureSum)}) before round 1: {@link RemoteClient#fit} then
 * enlists each selected client instead of sending its task, {@link #begin} fixes the round's public parameters
 * and sends the tasks, a client's masked input goes from {@link RemoteClient} straight to the coordinator, and
 * what the round loop validates and hands to {@link Round#add} is only a receipt (the global model as
 * placeholder, plus the client's example count and loss), on which {@code add} folds that client's masked input
 * into the running masked sum. So failures, deadlines, quorum and metrics stay the round loop's, and no code on
 * the server ever holds an unmasked individual update.
 *
 * <p>Metrics: {@code secagg_bytes_up} (all clients, every phase, masked inputs included), {@code secagg_bytes_down},
 * {@code secagg_server_seconds}, {@code secagg_dropped_after_masking}. Made before the server (it holds only its
 * settings until enabled), so a run can be assembled, and refused, before anything listens.
 */
public final class GrpcSecureSum implements SecureSum {
  private final SecAggSettings settings;
  private volatile SecAggCoordinator coordinator;

  public GrpcSecureSum(SecAggSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public SecAggSettings settings() {
    return settings;
  }

  /** Binds the server's coordinator ({@link FederationServer#enableSecureAggregation(GrpcSecureSum)}). */
  void attach(SecAggCoordinator c) {
    Checks.checkState(coordinator == null, "this secure sum is already enabled on a server");
    coordinator = c;
  }

  @Override
  public double maxAbs() {
    return settings.maxAbs();
  }

  /** Refuses, before round 1, a drop-out tolerance the planned round size cannot keep with a safe threshold. */
  @Override
  public void prepare(int clientsPerRound) {
    SecAggParams.forClients(clientsPerRound, settings.dropoutTolerance(), settings.neighbours(), 0,
        SecureAggregationStrategy.codecFor(clientsPerRound, settings.maxAbs()), 1);
  }

  @Override
  public Round begin(int round, ParameterSet global, List<ClientId> selected) {
    SecAggCoordinator c = coordinator;
    Checks.checkState(c != null, "secure aggregation over gRPC: enable this secure sum on the FederationServer"
        + " (enableSecureAggregation) before round 1");
    SecAggCoordinator.Attempt attempt = c.begin(round, global);
    return new Round() {
      private int added;

      @Override
      public void add(ClientId client, TrainResult receipt) {
        c.fold(attempt, client);
        added++;
      }

      @Override
      public Total finish() {
        try {
          return new Total(c.unmask(attempt), added);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FlException(ErrorCode.CANCELLED, "interrupted while unmasking round " + round, e);
        }
      }

      @Override
      public void abandon() {
        c.end(attempt);
      }

      @Override
      public Metrics metrics() {
        return Metrics.builder().put("secagg_bytes_up", attempt.bytesUp()).put("secagg_bytes_down", attempt.bytesDown())
            .put("secagg_server_seconds", attempt.serverSeconds())
            .put("secagg_dropped_after_masking", attempt.droppedAfterMasking()).build();
      }
    };
  }

  @Override
  public String describe() {
    return "over gRPC, " + settings.describe();
  }
}
