package dev.starling.privacy.secagg;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.List;

/**
 * Where the masked updates of a round are summed: the one thing {@link SecureAggregationStrategy} needs of
 * secure aggregation. {@link InProcessSecureSum} runs both protocol halves in this JVM (simulation); a
 * networked implementation runs the server half over a transport while each client process masks its own
 * update (transport-grpc's {@code GrpcSecureSum}). Either way the caller learns only the sum of the updates
 * {@code w_i - global} over the clients whose contribution is in it, and how many they are.
 */
public interface SecureSum {
  /** Called before round 1 with the planned clients per round (e.g. to fix the fixed-point codec). */
  default void prepare(int clientsPerRound) {}

  /**
   * Opens round {@code round}'s sum over the model {@code global}; {@code selected} are the clients the round
   * configured for training, in selection order (an implementation whose transport enlists clients itself
   * may ignore it).
   */
  Round begin(int round, ParameterSet global, List<ClientId> selected);

  /** The encoding range: every coordinate of an update must lie in {@code [-maxAbs, maxAbs]}. */
  double maxAbs();

  /** The protocol's settings, for the decorator's {@code describe()}. */
  String describe();

  /** One round's secure sum. Thread-confined to the round loop. */
  interface Round {
    /**
     * The round loop accepted {@code client}'s reply: add its contribution to the masked sum. In process the
     * reply is the trained model, masked here; over a network it is a receipt (the masked input reached the
     * implementation on its own path).
     */
    void add(ClientId client, TrainResult reply);

    /**
     * Removes the masks: the sum of {@code w_i - global} over the contributors and their count. Called
     * once, after at least one {@link #add}. Throws {@link dev.starling.core.error.FlException} with
     * {@code QUORUM_NOT_MET} when too many clients dropped out to unmask.
     */
    Total finish();

    /** Ends the round without unmasking (nothing was added). */
    void abandon();

    /** The protocol's own metrics so far, e.g. {@code secagg_bytes_up}, {@code secagg_server_seconds}. */
    Metrics metrics();
  }

  /**
   * An unmasked sum.
   *
   * @param sum the sum of the contributors' updates {@code w_i - global}, one value per model coordinate
   * @param contributors how many updates it sums
   */
  record Total(double[] sum, int contributors) {}
}
