package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.ClientProxy;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.strategy.Scaffold;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.ClientStateFile;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCAFFOLD over gRPC with a client process restarted between rounds: with {@code persistStateIn} the
 * restarted client continues with its control variate {@code c_i} and the run is bit for bit the run
 * without a restart; without it, {@code c_i} restarts at zero and the model differs.
 */
@Timeout(90)
class ScaffoldClientRestartTest {
  @TempDir
  Path tmp;

  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  /**
   * Two local SGD steps on {@code 0.5 ||w - target||^2} with SCAFFOLD's gradient correction, through
   * Scaffold's client half; its ClientState is what a restart loses.
   */
  static Trainer scaffoldTrainer(float target) {
    ClientState state = new ClientState();
    List<TrainInterceptor> chain = new Scaffold().clientInterceptors();
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return TrainInterceptor.run(chain, global, config, state, (g, c) -> {
          ParameterSet corr = c.correction().orElseGet(g::zerosLike);
          List<Tensor> out = new ArrayList<>();
          for (Tensor t : g) {
            float[] w = t.data().clone();
            float[] k = corr.get(t.name()).data();
            for (int step = 0; step < 2; step++) {
              for (int i = 0; i < w.length; i++) {
                w[i] -= (float) (c.learningRate() * ((w[i] - target * (i + 1)) + k[i]));
              }
            }
            out.add(Tensor.of(t.name(), w, t.shape()));
          }
          return new TrainResult(ParameterSet.of(out), 10, 2, Metrics.of(Metrics.LOSS, 1));
        });
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(1, Metrics.of(Metrics.LOSS, 0));
      }

      @Override
      public ParameterSet saveState() {
        return state.snapshot();
      }

      @Override
      public void restoreState(ParameterSet saved) {
        state.restore(saved);
      }
    };
  }

  private FederationClient start(FederationServer server, String id, float target, Path stateDir) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(30)), (m, s) -> scaffoldTrainer(target));
    if (stateDir != null) {
      c.persistStateIn(stateDir);
    }
    closeMe.add(c);
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
      } catch (RuntimeException e) {
        // the test asserts on the model
      }
    });
    closeMe.add(th::interrupt);
    return c;
  }

  private static ClientProxy sessionOf(FederationServer server, String id) {
    return server.pool().available().stream().filter(c -> c.id().value().equals(id)).findFirst().orElse(null);
  }

  /** Waits (at most 20 s) for {@code condition}, checking every 10 ms. */
  private static void awaitCondition(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within 20 s").isLessThan(deadline);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Runs 4 rounds of SCAFFOLD with clients a and b; restarts a after round 2 if asked. */
  private float[] run(String name, boolean restartA, boolean persist) {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "scaffold")
        .withHeartbeat(Duration.ofMillis(300))).start();
    closeMe.add(server);
    Path dirA = persist ? tmp.resolve(name + "-a") : null;
    FederationClient[] a = {start(server, "a", 1f, dirA)};
    start(server, "b", -2f, persist ? tmp.resolve(name + "-b") : null);
    RoundListener restart = new RoundListener() {
      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        if (restartA && round == 2) {
          ClientProxy before = sessionOf(server, "a");
          a[0].close(); // the process dies between rounds ...
          a[0] = start(server, "a", 1f, dirA); // ... and comes back with a fresh trainer
          awaitCondition(() -> {
            ClientProxy now = sessionOf(server, "a");
            return now != null && now != before; // round 3 must select the new session, not the closing one
          });
        }
      }
    };
    ParameterSet initial = ParameterSet.of(Tensor.of("w", new float[] {0.5f, -1f, 2f}, 3));
    RoundLoop.Result r = new RoundLoop(server.wrap(new Scaffold()), server.pool(),
        LoopbackFederationTest.loop(4, 2, Duration.ofSeconds(20)), restart).run(initial);
    assertThat(r.history().rounds()).allSatisfy(rec -> assertThat(rec.clientsSucceeded()).isEqualTo(2));
    return r.global().flatten();
  }

  @Test
  void restartedClient_continuesWithItsControlVariate_bitForBit() throws Exception {
    float[] uninterrupted = run("plain", false, true);
    float[] restarted = run("restart", true, true);
    assertThat(restarted).containsExactly(uninterrupted);
    assertThat(Files.exists(tmp.resolve("restart-a").resolve("client-a.state"))).isTrue();
  }

  @Test
  void restartWithoutAStateFile_losesTheControlVariate_andTheModelDiffers() {
    float[] uninterrupted = run("plain", false, false);
    float[] restarted = run("lost", true, false);
    assertThat(restarted).isNotEqualTo(uninterrupted);
  }

  @Test
  void stateFile_isKeyedByRunAndClient() {
    ClientStateFile f = new ClientStateFile(tmp, "a");
    ParameterSet s = ParameterSet.of(Tensor.of("scaffold.client-control/w", new float[] {0.25f, -1e-7f, 3e38f}, 3));
    f.save("run-1", 4, s);
    ClientStateFile.Saved back = f.load("run-1").orElseThrow();
    assertThat(back.round()).isEqualTo(4);
    assertThat(back.state().get("scaffold.client-control/w").data()).containsExactly(0.25f, -1e-7f, 3e38f);
    assertThatThrownBy(() -> f.load("run-2")).isInstanceOf(FlException.class)
        .hasMessageContaining("belongs to run 'run-1', but the server runs 'run-2'");
    assertThat(new ClientStateFile(tmp, "b").load("run-1")).isEmpty();
  }

  @Test
  void stateFile_corruptByte_isRefusedNamingTheFile() throws Exception {
    ClientStateFile f = new ClientStateFile(tmp, "a");
    f.save("run", 1, ParameterSet.of(Tensor.of("k/w", new float[] {1, 2, 3}, 3)));
    byte[] all = Files.readAllBytes(f.path());
    all[all.length - 12] ^= 0x01;
    Files.write(f.path(), all);
    assertThatThrownBy(() -> f.load("run")).isInstanceOf(FlException.class)
        .hasMessageContaining(f.path().toString()).hasMessageContaining("CRC mismatch");
  }

  @Test
  void clientWithAStateFileOfAnotherRun_leavesInsteadOfTraining() throws Exception {
    Path dir = tmp.resolve("other");
    new ClientStateFile(dir, "a").save("some-other-run", 3, ParameterSet.of(Tensor.of("k/w", new float[] {1}, 1)));
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "scaffold")).start();
    closeMe.add(server);
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "a")
        .withGiveUpAfter(Duration.ofSeconds(10)), (m, s) -> scaffoldTrainer(1f)).persistStateIn(dir);
    closeMe.add(c);
    assertThatThrownBy(c::run).hasMessageContaining("belongs to run 'some-other-run'");
    assertThat(Map.of("tasks", c.tasksDone())).containsEntry("tasks", 0);
  }
}
