package dev.starling.privacy.secagg;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The messages of one secure aggregation, in protocol order. They are plain values so any transport can
 * carry them (each has {@code wireBytes()}, the size of a straightforward binary encoding); the server
 * never needs to read a client-to-client envelope, it only routes it.
 */
public final class SecAggMessages {
  private SecAggMessages() {}

  /** Any secure aggregation message; {@link SecAggWire} encodes and decodes them. */
  public sealed interface Message permits AdvertiseKeys, KeyDirectory, EncryptedShare, ShareBundle, MaskedInput,
      UnmaskRequest, SurvivorSignature, UnmaskResponse {}

  /** Round 1, client to server (or server to client as its inbox): a list of envelopes. */
  public record ShareBundle(int client, List<EncryptedShare> shares) implements Message {
    public ShareBundle {
      shares = List.copyOf(shares);
    }
  }

  /**
   * Round 0, client to server: the client's two X25519 public keys (X.509 encoded), signed with its
   * long-term identity key when authentication is on ({@link SecAggAuth}; empty signature otherwise).
   */
  public record AdvertiseKeys(int client, byte[] encryptionKey, byte[] maskKey, byte[] signature) implements Message {
    /** Unsigned keys. */
    public AdvertiseKeys(int client, byte[] encryptionKey, byte[] maskKey) {
      this(client, encryptionKey, maskKey, new byte[0]);
    }

    public int wireBytes() {
      return 4 + encryptionKey.length + maskKey.length + 4 + signature.length;
    }
  }

  /**
   * Round 0, server to every client: the clients that advertised keys (U1), the threshold, and the
   * public seed of the neighbour graph (SecAgg+; 0 neighbours = everyone is everyone's neighbour).
   */
  public record KeyDirectory(Map<Integer, AdvertiseKeys> keys, int threshold, int neighbours, long graphSeed) implements Message {
    public KeyDirectory {
      keys = Map.copyOf(keys);
    }

    public int wireBytes() {
      return 16 + keys.values().stream().mapToInt(AdvertiseKeys::wireBytes).sum();
    }
  }

  /** Round 1: shares of {@code from}'s mask key and self-mask seed, sealed for {@code to}. */
  public record EncryptedShare(int from, int to, byte[] envelope) implements Message {
    public int wireBytes() {
      return 8 + envelope.length;
    }
  }

  /** Round 2, client to server: the masked, fixed-point encoded input. */
  public record MaskedInput(int client, int[] masked) implements Message {
    public int wireBytes() {
      return 4 + 4 * masked.length;
    }
  }

  /**
   * Round 3, server to survivors: who dropped out after round 1 and who sent a masked input; with
   * authentication, first sent without signatures (the consistency check) and then with the survivors'
   * signatures over this very list, which each client verifies before revealing any share.
   */
  public record UnmaskRequest(Set<Integer> dropped, Set<Integer> survivors, Map<Integer, byte[]> signatures)
      implements Message {
    public UnmaskRequest {
      dropped = Set.copyOf(dropped);
      survivors = Set.copyOf(survivors);
      signatures = Map.copyOf(signatures);
    }

    /** A request without signatures. */
    public UnmaskRequest(Set<Integer> dropped, Set<Integer> survivors) {
      this(dropped, survivors, Map.of());
    }

    public int wireBytes() {
      return 12 + 4 * (dropped.size() + survivors.size())
          + signatures.values().stream().mapToInt(b -> 8 + b.length).sum();
    }
  }

  /** Consistency check, client to server: the client's signature over the survivor list it was shown. */
  public record SurvivorSignature(int client, byte[] signature) implements Message {
    public int wireBytes() {
      return 8 + signature.length;
    }
  }

  /**
   * Round 3, client to server: shares of the dropped clients' mask keys and of the survivors'
   * self-mask seeds, never both for the same client.
   */
  public record UnmaskResponse(int client, Map<Integer, Shamir.Share> maskKeyShares, Map<Integer, Shamir.Share> selfMaskShares) implements Message {
    public UnmaskResponse {
      maskKeyShares = Map.copyOf(maskKeyShares);
      selfMaskShares = Map.copyOf(selfMaskShares);
    }

    public int wireBytes() {
      return 4 + (maskKeyShares.size() + selfMaskShares.size()) * (4 + 70);
    }
  }

  /** Sum of {@code wireBytes()} of a list of envelopes. */
  static int bytes(List<EncryptedShare> shares) {
    return shares.stream().mapToInt(EncryptedShare::wireBytes).sum();
  }
}
