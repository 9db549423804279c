package dev.starling.server;

/** In which order the round loop folds client updates into the aggregation. */
public enum FoldOrder {
  /**
   * In the order the clients were selected. Float sums then do not depend on thread timing, so a seeded
   * simulation reproduces bit-for-bit; updates that arrive early wait for earlier ones.
   */
  SELECTION,
  /** As they arrive: each update is folded and released at once, O(model size) server memory. */
  ARRIVAL
}
