package dev.starling.transport.grpc.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.List;

/**
 * The strategy wrapper of {@link FederationServer#wrap}: its one job is to connect the run's strategy to the
 * server. Each aggregation tells the server the round, refuses to run when secure aggregation is enabled but
 * the strategy did not open the round's secure sum, releases each update's upload slot as soon as the
 * update has been folded, and releases any left over (updates the loop discarded) when the aggregation ends.
 */
final class SlotReleasingStrategy extends ForwardingStrategy {
  private final FederationServer server;
  private final UnfoldedUploads unfolded;

  SlotReleasingStrategy(Strategy strategy, FederationServer server, UnfoldedUploads unfolded) {
    super(strategy);
    this.server = server;
    this.unfolded = unfolded;
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    server.setRound(round);
    Aggregation inner = super.beginAggregation(round, global);
    SecAggCoordinator sa = server.secAgg();
    if (sa != null && !sa.begun(round)) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "secure aggregation is enabled on this server, but the"
          + " strategy " + delegate().describe() + " did not open round " + round + "'s secure sum: decorate it with"
          + " SecureAggregationStrategy over the server's GrpcSecureSum; refusing to fold receipts as updates");
    }
    return new Aggregation() {
      @Override
      public void accept(ClientId client, TrainResult result) {
        try {
          inner.accept(client, result);
        } finally {
          unfolded.folded(client);
        }
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        unfolded.foldedAll();
        return inner.finish(failures);
      }
    };
  }
}
