package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.wire.FeatureSums;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The end-of-run grace ({@link FederationServer#finish}) and the wait for agreed statistics read the server's
 * {@link Ticker}, like every other server deadline, so tests drive them by hand instead of waiting in wall time.
 */
@Timeout(60)
class ServerTickerDeadlinesTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  /** Heartbeats of an hour: moving the ticker by seconds drops nobody. */
  private FederationServer start(Ticker ticker) {
    FederationServer server = new FederationServer(new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(),
        Duration.ofHours(1), 1000, 1L << 20, 2, Duration.ofMinutes(1), "test", "fedavg", "t", Duration.ofMinutes(10),
        Duration.ofMinutes(10)), ticker).start();
    closeMe.add(server);
    return server;
  }

  /** Reads the time; moves it on by one second at every reading made on {@link #stepping}'s thread. */
  private static final class SteppingTicker implements Ticker {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AtomicInteger steppedReads = new AtomicInteger();
    volatile Thread stepping;

    @Override
    public long nanos() {
      if (Thread.currentThread() == stepping) {
        steppedReads.incrementAndGet();
        return now.getAndAdd(TimeUnit.SECONDS.toNanos(1));
      }
      return now.get();
    }
  }

  @Test
  void finish_waitsForClientsOnTheServersTicker() throws Exception {
    SteppingTicker ticker = new SteppingTicker();
    FederationServer server = start(ticker);
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    RawSession stays = RawSession.hello(channel, "stays"); // takes the run's end but never hangs up
    closeMe.add(stays::close);
    stays.next(ServerMessage.BodyCase.WELCOME);

    long before = ticker.now.get();
    Thread finisher = new Thread(() -> server.finish("run complete"), "finisher");
    ticker.stepping = finisher;
    finisher.start();
    finisher.join(TimeUnit.SECONDS.toMillis(30)); // a guard: the 2 s grace passes on the ticker within a few polls
    assertThat(finisher.isAlive()).isFalse();

    stays.next(ServerMessage.BodyCase.SHUTDOWN);
    // it read the ticker to start the grace and at every poll, until 2 s had passed there
    assertThat(ticker.steppedReads.get()).isGreaterThanOrEqualTo(3);
    assertThat(ticker.now.get() - before).isGreaterThanOrEqualTo(ClientRegistry.FINISH_GRACE.toNanos());
  }

  @Test
  void awaitFeatureStatistics_endsWhenTheTimeoutPassesOnTheServersTicker() throws Exception {
    ManualTicker ticker = new ManualTicker();
    FederationServer server = start(ticker);
    server.agreeStatistics();
    CompletableFuture<Map<String, FeatureSums>> got = CompletableFuture.supplyAsync(() -> {
      try {
        return server.awaitFeatureStatistics(1, Duration.ofMinutes(30)); // nobody reports
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    // move the ticker past the timeout and run the server's periodic check, until the waiter has seen it (a
    // move made before the waiter read the ticker only shifts its deadline, so move again)
    for (int i = 0; i < 500 && !got.isDone(); i++) {
      ticker.advance(Duration.ofMinutes(31));
      server.checkTimeouts();
      Thread.sleep(10);
    }
    assertThat(got).isCompleted();
    assertThat(got.get()).isEmpty();
  }
}
