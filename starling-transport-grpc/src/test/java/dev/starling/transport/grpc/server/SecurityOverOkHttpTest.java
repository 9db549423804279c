package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link SecurityTest} (TLS, mutual TLS, tokens) with the clients on OkHttp, as on an edge device. */
class SecurityOverOkHttpTest extends SecurityTest {
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
