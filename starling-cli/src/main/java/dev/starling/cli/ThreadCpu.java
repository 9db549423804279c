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

  /** CPU of every thread that is not a client's. */
  static long server() {
    return nanos(n -> !n.startsWith(CLIENT_PREFIX));
  }
}
