package dev.starling.server;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import java.util.concurrent.CompletableFuture;

/**
 * The server's handle on one client, whatever carries the messages (in-process for simulation, gRPC for
 * deployments). Calls return at once; the futures complete when the client answers, or exceptionally
 * with a {@link dev.starling.core.error.FlException} whose code says why (UNAVAILABLE for a drop-out).
 * The round loop cancels a returned future when the round's deadline passes: the implementation must then
 * abandon the task (free what it holds for it, tell the client, refuse a late reply). Implementations are
 * thread-safe.
 */
public interface ClientProxy {
  ClientId id();

  /** Asks the client to train from {@code global}. */
  CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config);

  /** Asks the client to evaluate {@code global} on its local data. */
  CompletableFuture<EvalResult> evaluate(ParameterSet global);
}
