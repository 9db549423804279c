package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link LoopbackFederationTest} (rounds, chunked streaming, reconnects) with the clients on OkHttp, as on an edge device. */
class LoopbackOverOkHttpTest extends LoopbackFederationTest {
  private static PreferOkHttp okhttp;

  @BeforeAll
  static void clientsOnOkHttp() {
    okhttp = PreferOkHttp.install();
  }

  @AfterAll
  static void okHttpCarriedThem() {
    okhttp.uninstall();
    assertThat(okhttp.channels()).as("client channels built over OkHttp").isPositive();
  }
}
