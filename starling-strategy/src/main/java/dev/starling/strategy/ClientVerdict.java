package dev.starling.strategy;

import dev.starling.core.message.ClientId;
import java.util.Objects;

/**
 * How a robust rule treated one client's update in one round: the raw material of malicious-client
 * detection, reported per round in the metrics.
 *
 * @param client the client
 * @param action what was done to its update
 * @param weight the weight its update finally had in the aggregate (0 when rejected)
 * @param rule the rule that decided, e.g. {@code MultiKrum(f=2,m=5)}
 */
public record ClientVerdict(ClientId client, Action action, double weight, String rule) {
  /** What happened to an update. */
  public enum Action {
    /** Left out of the aggregate. */
    REJECTED,
    /** Kept with a smaller weight than plain averaging would give. */
    DOWNWEIGHTED,
    /** Scaled down to a norm bound before aggregation. */
    CLIPPED
  }

  public ClientVerdict {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(rule, "rule");
  }
}
