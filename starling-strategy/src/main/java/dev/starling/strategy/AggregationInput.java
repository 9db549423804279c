package dev.starling.strategy;

/**
 * What a strategy needs to see of the clients' updates. Secure aggregation only reveals a sum, so it can
 * serve {@link #SUM_ONLY} strategies and must refuse those that need {@link #INDIVIDUAL_UPDATES}.
 */
public enum AggregationInput {
  /** A (weighted) sum of updates suffices, e.g. FedAvg. */
  SUM_ONLY,
  /** The strategy inspects each update, e.g. coordinate-wise median or Krum. */
  INDIVIDUAL_UPDATES
}
