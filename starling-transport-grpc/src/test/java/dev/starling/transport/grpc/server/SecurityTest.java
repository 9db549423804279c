package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS, mutual TLS and per-client tokens, with certificates made by BouncyCastle at test time. */
@Timeout(60)
class SecurityTest {
  @TempDir
  static Path pki;

  static Path caCert;
  static Path serverCert;
  static Path serverKey;
  static Path clientCert;
  static Path clientKey;
  static Path otherCaCert;
  static Path noCnCert;
  static Path noCnKey;

  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private record Issued(X509Certificate cert, PrivateKey key) {}

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static Issued issue(String cn, KeyPair subject, Issued issuer, boolean ca) throws Exception {
    return issue(new X500Name("CN=" + cn), subject, issuer, ca);
  }

  private static Issued issue(X500Name name, KeyPair subject, Issued issuer, boolean ca) throws Exception {
    Instant now = Instant.now();
    X500Name issuerName = issuer == null ? name : new X500Name(issuer.cert().getSubjectX500Principal().getName());
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(now.toEpochMilli()),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name, subject.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (!ca) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    }
    PrivateKey signer = issuer == null ? subject.getPrivate() : issuer.key();
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    return new Issued(cert, subject.getPrivate());
  }

  private static Path pem(String file, Object o) throws Exception {
    Writer w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
    }
    Path p = pki.resolve(file);
    Files.writeString(p, w.toString());
    return p;
  }

  @BeforeAll
  static void makePki() throws Exception {
    KeyPair caKeys = keys();
    Issued ca = issue("Starling test CA", caKeys, null, true);
    Issued server = issue("localhost", keys(), ca, false);
    Issued client = issue("client-a", keys(), ca, false);
    Issued other = issue("Another CA", keys(), null, true);
    // signed by the trusted CA, but its subject names no client (no CN)
    Issued noCn = issue(new X500Name("O=Starling test,OU=no common name"), keys(), ca, false);
    noCnCert = pem("no-cn.pem", noCn.cert());
    noCnKey = pem("no-cn.key", noCn.key());
    caCert = pem("ca.pem", ca.cert());
    serverCert = pem("server.pem", server.cert());
    serverKey = pem("server.key", server.key());
    clientCert = pem("client.pem", client.cert());
    clientKey = pem("client.key", client.key());
    otherCaCert = pem("other-ca.pem", other.cert());
  }

  private FederationServer server(ServerSettings s) {
    FederationServer server = new FederationServer(s).start();
    closeMe.add(server);
    return server;
  }

  /** Runs one round of FedAvg with the given client, returns the number of updates aggregated. */
  private int oneRound(FederationServer server, ClientSettings cs) throws Exception {
    FederationClient c = new FederationClient(cs.withGiveUpAfter(Duration.ofSeconds(3)),
        (m, s) -> LoopbackFederationTest.adding(1f, 5));
    closeMe.add(c);
    CompletableFuture<Void> run = CompletableFuture.runAsync(c::run);
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(),
        LoopbackFederationTest.loop(1, 1, Duration.ofSeconds(10)), RoundListener.NONE).run(LoopbackFederationTest.initial(100));
    server.finish("done");
    run.get();
    return r.history().rounds().get(0).clientsSucceeded();
  }

  private static ServerSettings plain() {
    return ServerSettings.loopback(0, "test", "fedavg").withHeartbeat(Duration.ofMillis(300));
  }

  @Test
  void tlsClientTrustingTheServersCaTrains() throws Exception {
    FederationServer server = server(plain().withTls(new TlsFiles(Optional.of(serverCert), Optional.of(serverKey), Optional.empty())));
    ClientSettings cs = ClientSettings.of("127.0.0.1", server.port(), "client-a")
        .withTls(new TlsFiles(Optional.empty(), Optional.empty(), Optional.of(caCert)));
    assertThat(oneRound(server, cs)).isEqualTo(1);
  }

  @Test
  void tlsClientTrustingAnotherCaCannotConnect() {
    FederationServer server = server(plain().withTls(new TlsFiles(Optional.of(serverCert), Optional.of(serverKey), Optional.empty())));
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "client-a")
        .withTls(new TlsFiles(Optional.empty(), Optional.empty(), Optional.of(otherCaCert)))
        .withGiveUpAfter(Duration.ofMillis(500)), (m, s) -> LoopbackFederationTest.adding(1f, 1));
    closeMe.add(c);
    assertThatThrownBy(c::run).isInstanceOf(FlException.class).hasMessageContaining("unreachable");
    assertThat(server.registry()).isEmpty();
  }

  @Test
  void mutualTlsRequiresAClientCertificateSignedByTheClientCa() throws Exception {
    FederationServer server = server(plain().withTls(new TlsFiles(Optional.of(serverCert), Optional.of(serverKey), Optional.of(caCert))));
    FederationClient anonymous = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "client-a")
        .withTls(new TlsFiles(Optional.empty(), Optional.empty(), Optional.of(caCert)))
        .withGiveUpAfter(Duration.ofMillis(500)), (m, s) -> LoopbackFederationTest.adding(1f, 1));
    closeMe.add(anonymous);
    assertThatThrownBy(anonymous::run).isInstanceOf(FlException.class);
    assertThat(server.registry()).isEmpty();

    ClientSettings cs = ClientSettings.of("127.0.0.1", server.port(), "client-a")
        .withTls(new TlsFiles(Optional.of(clientCert), Optional.of(clientKey), Optional.of(caCert)));
    assertThat(oneRound(server, cs)).isEqualTo(1);
  }

  @Test
  void underMutualTlsTheCertificateNamesTheClientAndAnotherIdIsRefused() throws Exception {
    FederationServer server = server(plain().withTls(new TlsFiles(Optional.of(serverCert), Optional.of(serverKey), Optional.of(caCert))));
    FederationClient impostor = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "client-b")
        .withTls(new TlsFiles(Optional.of(clientCert), Optional.of(clientKey), Optional.of(caCert))),
        (m, s) -> LoopbackFederationTest.adding(1f, 1));
    closeMe.add(impostor);
    assertThatThrownBy(impostor::run).isInstanceOf(FlException.class)
        .satisfies(e -> assertThat(((FlException) e).code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
        .hasMessageContaining("issued to 'client-a'").hasMessageContaining("'client-b'");
    assertThat(server.registry()).isEmpty();
  }

  @Test
  void underMutualTlsACertificateWithoutCommonNameCannotClaimAnyId() throws Exception {
    FederationServer server = server(plain().withTls(new TlsFiles(Optional.of(serverCert), Optional.of(serverKey), Optional.of(caCert))));
    for (String claimed : new String[] {"client-a", "anyone"}) {
      FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), claimed)
          .withTls(new TlsFiles(Optional.of(noCnCert), Optional.of(noCnKey), Optional.of(caCert))),
          (m, s) -> LoopbackFederationTest.adding(1f, 1));
      closeMe.add(c);
      assertThatThrownBy(c::run).isInstanceOf(FlException.class)
          .satisfies(e -> assertThat(((FlException) e).code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
          .hasMessageContaining("no common name (CN)");
    }
    assertThat(server.registry()).isEmpty();
  }

  @Test
  void wrongOrMissingTokenIsRefusedWithUnauthenticatedAndLogged() throws Exception {
    List<String> logged = new ArrayList<>();
    Logger jul = Logger.getLogger(TokenAuthInterceptor.class.getName());
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        logged.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    jul.addHandler(h);
    closeMe.add(() -> jul.removeHandler(h));
    FederationServer server = server(plain().withTokens(Map.of("client-a", "s3cret-a", "client-b", "s3cret-b")));

    for (String token : new String[] {"wrong", null, "s3cret-b"}) {
      FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "client-a").withToken(token),
          (m, s) -> LoopbackFederationTest.adding(1f, 1));
      closeMe.add(c);
      assertThatThrownBy(c::run).isInstanceOf(FlException.class)
          .satisfies(e -> assertThat(((FlException) e).code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
          .hasMessageContaining("client-a");
    }
    assertThat(logged).hasSize(3);
    assertThat(logged.get(0)).contains("refused unauthenticated client").contains("wrong token");
    assertThat(logged.get(1)).contains("sent no 'authorization");
    assertThat(server.registry()).isEmpty();

    assertThat(oneRound(server, ClientSettings.of("127.0.0.1", server.port(), "client-a").withToken("s3cret-a"))).isEqualTo(1);
    assertThat(server.registry()).containsExactly("client-a");
  }

}
