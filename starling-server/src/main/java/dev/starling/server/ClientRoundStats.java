package dev.starling.server;

import dev.starling.core.error.Checks;
import dev.starling.core.message.ClientId;
import java.util.Objects;

/**
 * One client's part in one round, as the server saw it: what {@code --client-metrics} writes and a
 * dashboard shows. Only clients whose update arrived get one; those that failed before replying are in
 * {@link RoundRecord#failures()}.
 *
 * @param client the client
 * @param accepted whether its update passed validation and was folded into the aggregate (false: it was
 *     rejected, and {@link RoundRecord#failures()} says why)
 * @param examples examples the client reported training on
 * @param loss its reported mean training loss of the last epoch, or NaN when it reported none
 * @param seconds from the task being handed to the client to its reply (wall clock on a server and in a
 *     synchronous simulation, simulated seconds on an asynchronous simulation's virtual clock)
 * @param bytesUp bytes received from the client for this job
 * @param bytesDown bytes sent to the client for this job
 */
public record ClientRoundStats(ClientId client, boolean accepted, long examples, double loss, double seconds,
    long bytesUp, long bytesDown) {
  public ClientRoundStats {
    Objects.requireNonNull(client, "client");
    Checks.checkArgument(examples >= 0, "examples", ">= 0", examples);
    Checks.checkArgument(seconds >= 0, "seconds", ">= 0", seconds);
    Checks.checkArgument(bytesUp >= 0, "bytesUp", ">= 0", bytesUp);
    Checks.checkArgument(bytesDown >= 0, "bytesDown", ">= 0", bytesDown);
  }
}
