package dev.starling.djl;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.starling.core.error.Checks;

/**
 * Loads DJL's PyTorch engine offline and limits the threads each client uses.
 *
 * <p>DJL's default is to download libtorch on first use. Starling instead carries the natives as the Maven
 * artifact {@code ai.djl.pytorch:pytorch-native-cpu:linux-x86_64} and turns on DJL's offline mode
 * ({@code ai.djl.offline=true}) before the engine loads, so DJL extracts libtorch from that jar on the
 * classpath into its cache ({@code ~/.djl.ai/pytorch/}, or {@code ENGINE_CACHE_DIR}) and never touches the
 * network; a missing native jar is then an error at start rather than a download. A property the user set
 * on the command line wins ({@code -Dai.djl.offline=false} lets DJL download, e.g. for a CUDA build).
 *
 * <p>Threads: PyTorch's intra-op pool defaults to all cores, so N clients training in parallel would run N x
 * cores threads. Each {@link DjlLearner} calls {@link #limitThreads(int)} on its calling thread before it
 * computes (the OpenMP thread count is per calling thread), and inter-op parallelism, which these eager
 * models never use, is pinned to 1. Thread-safe.
 */
public final class DjlRuntime {
  /** DJL's offline switch. */
  public static final String OFFLINE_PROPERTY = "ai.djl.offline";
  private static volatile Engine engine;

  private DjlRuntime() {}

  /** The PyTorch engine, loaded offline on first call. */
  public static Engine engine() {
    Engine e = engine;
    if (e == null) {
      synchronized (DjlRuntime.class) {
        e = engine;
        if (e == null) {
          setIfAbsent(OFFLINE_PROPERTY, "true");
          setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
          setIfAbsent("ai.djl.default_engine", "PyTorch");
          e = Engine.getEngine("PyTorch");
          engine = e;
        }
      }
    }
    return e;
  }

  /** The libtorch version in use, e.g. {@code 2.7.1}. */
  public static String version() {
    return engine().getVersion();
  }

  /**
   * Limits PyTorch's intra-op threads for work started on the calling thread, and turns autograd's grad mode off
   * on it (as DJL does on the engine's loading thread; a {@code GradientCollector} turns it on while open).
   *
   * @param threads threads per client, at least 1
   */
  public static void limitThreads(int threads) {
    Checks.checkPositive(threads, "threads");
    engine();
    // PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that loaded the
    // engine. Off here too, so the in-place SGD step on a worker thread (the simulation's) is not autograd-tracked.
    JniUtils.setGradMode(false);
    if (JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
    }
  }

  /** Threads per client so that {@code parallelClients} together use about {@code cores} cores (at least 1). */
  public static int threadsPerClient(int cores, int parallelClients) {
    Checks.checkPositive(cores, "cores");
    Checks.checkPositive(parallelClients, "parallelClients");
    return Math.max(1, cores / parallelClients);
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
