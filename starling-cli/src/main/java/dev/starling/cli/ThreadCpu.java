package dev.starling.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.Predicate;

/** CPU time of this JVM's live threads, selected by name: how the benches split server from client work. */
final class ThreadCpu {
  /** The name prefix of networked clients' threads in the benches. */
  static final String CLIENT_PREFIX = "starling-client";

  private ThreadCpu() {}

  /** Nanoseconds of CPU used so far by the live threads whose names {@code which} accepts. */
  static long nanos(Predicate<String> which) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (which.test(t.getName())) {
        long c = mx.getThreadCpuTime(t.threadId());
        if (c > 0) {
          sum += c;
        }
      }
    }
    return sum;
  }

  /**
   * The prefix of gRPC's shared event loops and callback pool: the federation server runs on threads of its
   * own ({@code starling-server-*}), so in a bench these serve the in-JVM clients' channels alone.
   */
  static final String GRPC_SHARED_PREFIX = "grpc-default-";

  /** Whether a thread of this name works for the benches' networked clients. */
  static boolean clientSide(String name) {
    return name.startsWith(CLIENT_PREFIX) || name.startsWith(GRPC_SHARED_PREFIX);
  }

  /**
   * CPU of every thread that is not the clients': the server's own transport and callback threads, the
   * round loop, the aggregation kernels, and the carriers of virtual threads (the server's stream writers).
   */
  static long server() {
    return nanos(n -> !clientSide(n));
  }

  /** CPU of the clients' threads: their workers and senders and the gRPC threads their channels use. */
  static long clients() {
    return nanos(ThreadCpu::clientSide);
  }
}
