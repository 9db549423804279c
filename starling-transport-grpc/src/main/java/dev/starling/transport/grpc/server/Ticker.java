package dev.starling.transport.grpc.server;

/**
 * A monotonic nanosecond time source for the server's timeouts (heartbeat, Hello, upload progress), so
 * tests can drive time by hand instead of sleeping. Only differences between two readings mean anything.
 */
@FunctionalInterface
public interface Ticker {
  /** {@link System#nanoTime()}. */
  Ticker SYSTEM = System::nanoTime;

  /** The current reading, in nanoseconds. */
  long nanos();
}
