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
      UnmaskRequest, UnmaskResponse {}

  /** Round 1, client to server (or server to client as its inbox): a list of envelopes. */
  public record ShareBundle(int client, List<EncryptedShare> shares) implements Message {
    public ShareBundle {
      shares = List.copyOf(shares);
    }
  }

  /** Round 0, client to server: the client's two X25519 public keys (X.509 encoded). */
  public record AdvertiseKeys(int client, byte[] encryptionKey, byte[] maskKey) implements Message {
    public int wireBytes() {
      return 4 + encryptionKey.length + maskKey.length;
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

  /** Round 3, server to survivors: who dropped out after round 1 and who sent a masked input. */
  public record UnmaskRequest(Set<Integer> dropped, Set<Integer> survivors) implements Message {
    public UnmaskRequest {
      dropped = Set.copyOf(dropped);
      survivors = Set.copyOf(survivors);
    }

    public int wireBytes() {
      return 8 + 4 * (dropped.size() + survivors.size());
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
