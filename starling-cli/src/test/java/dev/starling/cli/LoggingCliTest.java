package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Logging in a fresh JVM (the level is fixed when the first logger is made): one line per event, -q silences info. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoggingCliTest {
  @TempDir
  Path dir;

  private String run(String name, String... args) throws Exception {
    try (ChildJvms jvms = new ChildJvms(dir)) {
      Process p = jvms.start(name, args);
      assertThat(p.waitFor(50, TimeUnit.SECONDS)).isTrue();
      return jvms.log(name);
    }
  }

  @Test
  void transportEventsAreOneLineEachAndQuietDropsThem() throws Exception {
    // a client dialling a port nobody listens on logs each failed session, then gives up
    String[] client = {"client", "--server", "127.0.0.1:1", "--id", "x", "--data", "digits", "--give-up-after", "1s"};
    String normal = run("normal", client);
    assertThat(normal).containsPattern("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO FederationClient - client x: session ended"
        + " \\(UNAVAILABLE\\); reconnecting in [\\d,]+ ms$");
    // no java.util.logging two-line records ("Dec 04, 2026 9:01:57 PM class method" then "INFO: ...")
    assertThat(normal).doesNotContainPattern("(?m)^INFO: ").doesNotContainPattern("(?m)^[A-Z][a-z]{2} \\d{1,2}, \\d{4} ");

    String[] quietArgs = new String[client.length + 1];
    quietArgs[0] = "client";
    quietArgs[1] = "-q";
    System.arraycopy(client, 1, quietArgs, 2, client.length - 1);
    String quiet = run("quiet", quietArgs);
    assertThat(quiet).doesNotContain(" INFO ").contains("error: client x: server 127.0.0.1:1 unreachable");
  }

  @Test
  void anUnknownLevelIsAUsageError() {
    CliRun r = CliRun.of("--log-level", "loud", "simulate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--log-level must be one of error, warn, info, debug, trace, off. Provided value: loud");
  }
}
