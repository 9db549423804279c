package dev.starling.strategy;

/**
 * What a strategy needs to see of the clients' updates: its declared requirement, which decorators that
 * change what reaches the strategy check (they never inspect the strategy's type). Secure aggregation and
 * central DP hand the strategy one combined update per round ({@code global + mean delta}), so they serve
 * {@link #SUM_ONLY} strategies and refuse the other two before round 1.
 */
public enum AggregationInput {
  /** One combined update (the mean of the deltas) suffices, e.g. FedAvg, FedAdam. */
  SUM_ONLY,
  /**
   * A sum suffices only together with each client's own side data, which a combined update loses: local
   * step counts (FedNova), control-variate attachments (SCAFFOLD), trained positions (position-wise
   * averaging of sub-models).
   */
  PER_CLIENT_DETAILS,
  /** The strategy inspects each update, e.g. coordinate-wise median or Krum. */
  INDIVIDUAL_UPDATES
}
