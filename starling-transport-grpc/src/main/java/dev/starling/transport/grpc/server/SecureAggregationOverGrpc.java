package dev.starling.transport.grpc.server;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.dp.Updates;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.aggregate.LossTally;
import java.util.List;
import java.util.Locale;

/**
 * The networked counterpart of {@link SecureAggregationStrategy}, with the same semantics: the decorated
 * strategy receives one update per round, {@code global + sum / survivors}, where the sum over the clients
 * whose masked input reached the server is the only thing the server ever unmasks; every client has weight
 * 1. Unlike the simulation decorator, the clients' halves of the protocol run in the client processes
 * ({@code FederationClient} in starling-client-runtime), and what the round loop hands to
 * {@link Aggregation#accept} is only a receipt (the global model as placeholder, plus the client's example
 * count and training loss): the masked input itself goes straight from {@link RemoteClient} to
 * {@link SecAggCoordinator}. Strategies that need individual updates are refused at construction (before
 * round 1) with {@link SecureAggregationStrategy#refuseIndividual}'s message.
 *
 * <p>Metrics, as in simulation: {@code clients_aggregated}, {@code examples}, {@code train_loss},
 * {@code secagg_bytes_up} (all clients, every phase, masked inputs included), {@code secagg_bytes_down},
 * {@code secagg_server_seconds}, {@code secagg_dropped_after_masking}; a round that cannot be unmasked keeps
 * the global model and reports {@code secagg_unmask_failed = 1}.
 */
final class SecureAggregationOverGrpc extends ForwardingStrategy {
  static final ClientId SUM = new ClientId("secagg-sum");
  private final SecAggCoordinator coordinator;

  SecureAggregationOverGrpc(Strategy delegate, SecAggCoordinator coordinator) {
    super(delegate);
    SecureAggregationStrategy.refuseIndividual(delegate);
    this.coordinator = coordinator;
  }

  @Override
  public void prepare(RoundPlan plan) {
    SecureAggregationStrategy.refuseIndividual(delegate());
    Checks.checkArgument(plan.clientsPerRound() >= 3, "clients per round under secure aggregation", ">= 3",
        plan.clientsPerRound());
    super.prepare(plan);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    SecAggCoordinator.Attempt attempt = coordinator.begin(round, global);
    return new Aggregation() {
      private int accepted;
      private long examples;
      private final LossTally trainLoss = new LossTally();

      @Override
      public void accept(ClientId client, TrainResult receipt) {
        coordinator.fold(attempt, client);
        accepted++;
        examples += receipt.numExamples();
        trainLoss.add(receipt);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        if (accepted == 0) {
          coordinator.end(attempt);
          return SecureAggregationOverGrpc.super.beginAggregation(round, global).finish(failures);
        }
        double[] sum;
        try {
          sum = coordinator.unmask(attempt);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FlException(ErrorCode.CANCELLED, "interrupted while unmasking round " + round, e);
        } catch (FlException e) {
          if (e.code() != ErrorCode.QUORUM_NOT_MET) {
            throw e;
          }
          return new AggregateResult(global, common(Metrics.builder().put("secagg_unmask_failed", 1)
              .put("clients_aggregated", 0)).build());
        }
        for (int i = 0; i < sum.length; i++) {
          sum[i] /= accepted;
        }
        ParameterSet candidate = Updates.plus(global, sum);
        Aggregation inner = SecureAggregationOverGrpc.super.beginAggregation(round, global);
        double loss = trainLoss.mean();
        inner.accept(SUM, new TrainResult(candidate, 1, 1, Metrics.of(Metrics.LOSS, loss)));
        AggregateResult r = inner.finish(failures);
        Metrics.Builder out = Metrics.builder().putAll(r.metrics());
        trainLoss.putInto(out);
        out.put("clients_aggregated", accepted).put("examples", examples);
        return new AggregateResult(r.parameters(), common(out).build(), r.verdicts());
      }

      private Metrics.Builder common(Metrics.Builder b) {
        return b.put("secagg_bytes_up", attempt.bytesUp()).put("secagg_bytes_down", attempt.bytesDown())
            .put("secagg_server_seconds", attempt.serverSeconds())
            .put("secagg_dropped_after_masking", attempt.droppedAfterMasking());
      }
    };
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.SUM_ONLY;
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "SecureAggregation over gRPC(%s) <- %s", coordinator.settings().describe(),
        super.describe());
  }
}
