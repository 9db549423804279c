package dev.starling.transport.grpc.server;

import dev.starling.transport.grpc.client.FederationClient;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs a {@link FederationClient} on a daemon thread, for tests that watch how its run ends. */
final class BackgroundClient {
  private BackgroundClient() {}

  /**
   * Starts {@code c}; the future completes with what ended its run (null: it returned). The client and the
   * thread are added to {@code closeMe}, for the test's cleanup.
   */
  static CompletableFuture<Throwable> start(FederationClient c, String id, List<AutoCloseable> closeMe) {
    closeMe.add(c);
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
        ended.complete(null);
      } catch (RuntimeException e) {
        ended.complete(e);
      }
    });
    closeMe.add(th::interrupt);
    return ended;
  }
}
