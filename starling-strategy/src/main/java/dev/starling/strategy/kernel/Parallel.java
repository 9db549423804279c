package dev.starling.strategy.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;

/**
 * Runs a kernel over fixed chunks of a range on a small daemon {@link ForkJoinPool} with one worker per
 * available processor. The chunks depend only on the range and the grain, never on the number of
 * threads or their timing, so a kernel whose chunks write disjoint outputs (or whose per-chunk partial
 * results are combined in chunk order) is deterministic. Thread-safe.
 */
public final class Parallel {
  private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
      pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("starling-kernel-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
      }, null, false);

  /** A body run on the chunk {@code [from, to)} with chunk number {@code chunk}. */
  @FunctionalInterface
  public interface Body {
    void run(int chunk, int from, int to);
  }

  private Parallel() {}

  /** Threads the pool runs kernels on. */
  public static int threads() {
    return POOL.getParallelism();
  }

  /** Number of chunks {@link #forEachChunk} cuts {@code [0, n)} into. */
  public static int chunks(int n, int grain) {
    return Math.max(1, (int) (((long) n + grain - 1) / grain));
  }

  /**
   * Runs {@code body} on the chunks {@code [c * grain, min(n, (c + 1) * grain))}, in parallel when there
   * is more than one and more than one thread; returns when all have run. An exception in a body is
   * rethrown here.
   */
  public static void forEachChunk(int n, int grain, Body body) {
    int chunks = chunks(n, grain);
    if (chunks == 1 || POOL.getParallelism() == 1) {
      for (int c = 0; c < chunks; c++) {
        body.run(c, c * grain, (int) Math.min(n, (long) (c + 1) * grain));
      }
      return;
    }
    POOL.invoke(new Split(0, chunks, n, grain, body));
  }

  private static final class Split extends RecursiveAction {
    private final int lo;
    private final int hi;
    private final int n;
    private final int grain;
    private final transient Body body;

    Split(int lo, int hi, int n, int grain, Body body) {
      this.lo = lo;
      this.hi = hi;
      this.n = n;
      this.grain = grain;
      this.body = body;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        body.run(lo, lo * grain, (int) Math.min(n, (long) (lo + 1) * grain));
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Split(lo, mid, n, grain, body), new Split(mid, hi, n, grain, body));
    }
  }
}
