package dev.starling.transport.grpc.client;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Map;
import java.util.Objects;

/**
 * A client's part of authenticated secure aggregation: its long-term Ed25519 identity key pair, and its own
 * copy of every client's identity public key by client id (the PKI; the same directory of public keys the
 * server registers). Keys of peers the server names are looked up here, never taken from the server.
 *
 * @param clientId this client's id
 * @param keys this client's identity key pair (its public half as registered)
 * @param peers identity public key of every client that may take part, by client id (this client included)
 */
public record SecAggIdentity(String clientId, KeyPair keys, Map<String, PublicKey> peers) {
  public SecAggIdentity {
    Checks.checkArgument(clientId != null && !clientId.isBlank(), "clientId", "non-blank", clientId);
    Objects.requireNonNull(keys, "keys");
    peers = Map.copyOf(peers);
    PublicKey registered = peers.get(clientId);
    if (registered == null) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "the peer public keys hold none for this client '" + clientId
          + "' (expected " + clientId + ".pub)");
    }
    if (!java.util.Arrays.equals(registered.getEncoded(), keys.getPublic().getEncoded())) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "client '" + clientId + "': its identity key does not match "
          + clientId + ".pub among the peer public keys");
    }
  }
}
