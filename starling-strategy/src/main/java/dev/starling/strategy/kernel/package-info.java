/**
 * The numeric kernels of server-side aggregation, on flat float arrays: the fused weighted fold of
 * FedAvg ({@link dev.starling.strategy.kernel.WeightedFold}), coordinate-wise order statistics for the
 * median and the trimmed mean ({@link dev.starling.strategy.kernel.OrderStatistics}), pairwise distances
 * for Krum-style rules ({@link dev.starling.strategy.kernel.Distances}) and row means
 * ({@link dev.starling.strategy.kernel.RowMeans}), reading updates in place through
 * {@link dev.starling.strategy.kernel.Rows}.
 *
 * <p>Every fast kernel has a readable single-threaded {@code reference} beside it, and the tests compare
 * the two on random inputs: bit for bit where the kernel performs the same float operations in the same
 * order per coordinate (fold, order statistics, row mean), within rounding for the Gram-based distances.
 * Parallel kernels cut their range into fixed chunks ({@link dev.starling.strategy.kernel.Parallel}),
 * so results never depend on the number of threads or their timing. Loops are plain Java written so
 * that C2 vectorises them (one array offset per loop); no incubator module is needed.
 */
package dev.starling.strategy.kernel;
