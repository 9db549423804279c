package dev.starling.transport.grpc.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Checks every call's client identity. Tokens: metadata {@code starling-client-id: ID} and
 * {@code authorization: Bearer TOKEN} must match the server's token table; a mismatch closes the call
 * with UNAUTHENTICATED and a message saying what was missing, and is logged with the peer address.
 * Certificates: under mutual TLS the client certificate's common name is the client's id, so a call
 * claiming another id is closed with PERMISSION_DENIED (and logged), and so is a certificate without a
 * common name (it names no client, so it must not be free to claim any id). The established id is put in the
 * call's {@link Context} ({@link #CLIENT_ID}).
 */
public final class TokenAuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> CLIENT_ID_HEADER =
      Metadata.Key.of("starling-client-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The client id the call authenticated as (null when tokens are off and the header is absent). */
  public static final Context.Key<String> CLIENT_ID = Context.key("starling-client-id");

  private static final System.Logger LOG = System.getLogger(TokenAuthInterceptor.class.getName());

  private final Map<String, String> tokens;

  /** @param tokens client id -> token; empty disables the check (ids are then taken on trust) */
  public TokenAuthInterceptor(Map<String, String> tokens) {
    this.tokens = Map.copyOf(tokens);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String id = headers.get(CLIENT_ID_HEADER);
    if (!tokens.isEmpty()) {
      String problem = check(id, headers.get(AUTHORIZATION));
      if (problem != null) {
        SocketAddress peer = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        LOG.log(Level.WARNING, "refused unauthenticated client from {0}: {1}", peer, problem);
        call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    String certId;
    try {
      certId = certificateId(call);
    } catch (IllegalArgumentException e) {
      String problem = "client certificate " + e.getMessage() + "; under mutual TLS the certificate's CN is the client id";
      LOG.log(Level.WARNING, "refused client from {0}: {1}", call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR), problem);
      call.close(Status.PERMISSION_DENIED.withDescription(problem), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (certId != null) {
      if (id != null && !id.equals(certId)) {
        String problem = "client certificate is issued to '" + certId + "' but the call claims client id '" + id + "'";
        LOG.log(Level.WARNING, "refused client from {0}: {1}", call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR), problem);
        call.close(Status.PERMISSION_DENIED.withDescription(problem), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      id = certId;
    }
    Context ctx = Context.current().withValue(CLIENT_ID, id);
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  /**
   * The common name of the verified client certificate, or null without a client certificate (no TLS, or
   * TLS without client authentication). Throws {@link IllegalArgumentException} saying what is wrong when
   * the client presented a certificate that names no client (no or an empty CN, or an unreadable subject).
   */
  private static String certificateId(ServerCall<?, ?> call) {
    javax.net.ssl.SSLSession ssl = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (ssl == null) {
      return null;
    }
    try {
      java.security.cert.Certificate[] chain = ssl.getPeerCertificates();
      if (chain.length == 0) {
        return null;
      }
      if (!(chain[0] instanceof java.security.cert.X509Certificate x)) {
        throw new IllegalArgumentException("is not an X.509 certificate (" + chain[0].getType() + ")");
      }
      String subject = x.getSubjectX500Principal().getName();
      String cn = null;
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(subject).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          if (cn != null) {
            throw new IllegalArgumentException("'" + subject + "' has more than one common name (CN)");
          }
          cn = rdn.getValue().toString();
        }
      }
      if (cn == null || cn.isBlank()) {
        throw new IllegalArgumentException("'" + subject + "' has no common name (CN)");
      }
      return cn;
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null; // plain TLS: the client sent no certificate
    } catch (javax.naming.InvalidNameException e) {
      throw new IllegalArgumentException("has an unreadable subject: " + e.getMessage());
    }
  }

  private String check(String id, String auth) {
    if (id == null || id.isBlank()) {
      return "missing metadata 'starling-client-id'";
    }
    String expected = tokens.get(id);
    if (expected == null) {
      return "client '" + id + "' is not in the server's token table";
    }
    if (auth == null || !auth.startsWith("Bearer ")) {
      return "client '" + id + "' sent no 'authorization: Bearer TOKEN' metadata";
    }
    byte[] got = auth.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(got, expected.getBytes(StandardCharsets.UTF_8))) {
      return "client '" + id + "' sent a wrong token";
    }
    return null;
  }
}
