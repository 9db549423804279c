package dev.starling.privacy.secagg;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.Message;
import dev.starling.privacy.secagg.SecAggMessages.ShareBundle;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A compact binary encoding of {@link SecAggMessages}, version 1, so a transport can carry secure
 * aggregation as opaque byte payloads: one tag byte, then big-endian fields (ints, length-prefixed byte
 * strings, 66-byte field elements, int arrays). Decoding checks every length against the bytes present
 * and fails with INVALID_ARGUMENT on malformed input. Thread-safe.
 */
public final class SecAggWire {
  /**
   * The protocol a transport names when it carries these messages (and a client lists as capability):
   * {@code secagg/2} derives its keys by HKDF (see {@code Crypto}); {@code secagg/1} clients used HMAC and
   * compute different masks and envelope keys, so a {@code secagg/2} server refuses them. The message
   * encoding below is unchanged (its own version byte stays 1).
   */
  public static final String PROTOCOL = "secagg/2";
  /** The previous protocol, named in refusals. */
  public static final String PREVIOUS_PROTOCOL = "secagg/1";
  private static final int VERSION = 1;
  private static final int MAX_ITEMS = 1 << 26;

  private SecAggWire() {}

  /** The bytes of {@code m}. */
  public static byte[] encode(Message m) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      switch (m) {
        case AdvertiseKeys a -> {
          out.writeByte(1);
          advertise(out, a);
        }
        case KeyDirectory d -> {
          out.writeByte(2);
          out.writeInt(d.threshold());
          out.writeInt(d.neighbours());
          out.writeLong(d.graphSeed());
          out.writeInt(d.keys().size());
          for (AdvertiseKeys a : new TreeMap<>(d.keys()).values()) {
            advertise(out, a);
          }
        }
        case EncryptedShare e -> {
          out.writeByte(3);
          share(out, e);
        }
        case ShareBundle b -> {
          out.writeByte(4);
          out.writeInt(b.client());
          out.writeInt(b.shares().size());
          for (EncryptedShare e : b.shares()) {
            share(out, e);
          }
        }
        case MaskedInput mi -> {
          out.writeByte(5);
          out.writeInt(mi.client());
          out.writeInt(mi.masked().length);
          for (int v : mi.masked()) {
            out.writeInt(v);
          }
        }
        case UnmaskRequest r -> {
          out.writeByte(6);
          ints(out, r.dropped());
          ints(out, r.survivors());
          out.writeInt(r.signatures().size());
          for (Map.Entry<Integer, byte[]> e : new TreeMap<>(r.signatures()).entrySet()) {
            out.writeInt(e.getKey());
            bytes(out, e.getValue());
          }
        }
        case SecAggMessages.SurvivorSignature sig -> {
          out.writeByte(8);
          out.writeInt(sig.client());
          bytes(out, sig.signature());
        }
        case UnmaskResponse r -> {
          out.writeByte(7);
          out.writeInt(r.client());
          shares(out, r.maskKeyShares());
          shares(out, r.selfMaskShares());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The message encoded in {@code bytes}. */
  public static Message decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw malformed("unknown version " + version);
      }
      int tag = in.readUnsignedByte();
      Message m = switch (tag) {
        case 1 -> advertise(in);
        case 2 -> {
          int t = in.readInt();
          int k = in.readInt();
          long seed = in.readLong();
          int n = count(in, bytes.length);
          Map<Integer, AdvertiseKeys> keys = new LinkedHashMap<>();
          for (int i = 0; i < n; i++) {
            AdvertiseKeys a = advertise(in);
            keys.put(a.client(), a);
          }
          yield new KeyDirectory(keys, t, k, seed);
        }
        case 3 -> share(in, bytes.length);
        case 4 -> {
          int client = in.readInt();
          int n = count(in, bytes.length);
          List<EncryptedShare> l = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            l.add(share(in, bytes.length));
          }
          yield new ShareBundle(client, l);
        }
        case 5 -> {
          int client = in.readInt();
          int n = count(in, bytes.length / 4);
          int[] v = new int[n];
          for (int i = 0; i < n; i++) {
            v[i] = in.readInt();
          }
          yield new MaskedInput(client, v);
        }
        case 6 -> {
          Set<Integer> dropped = ints(in, bytes.length);
          Set<Integer> survivors = ints(in, bytes.length);
          int n = count(in, bytes.length / 8);
          Map<Integer, byte[]> sigs = new LinkedHashMap<>();
          for (int i = 0; i < n; i++) {
            int who = in.readInt();
            sigs.put(who, bytes(in));
          }
          yield new UnmaskRequest(dropped, survivors, sigs);
        }
        case 8 -> new SecAggMessages.SurvivorSignature(in.readInt(), bytes(in));
        case 7 -> new UnmaskResponse(in.readInt(), shares(in, bytes.length), shares(in, bytes.length));
        default -> throw malformed("unknown message tag " + tag);
      };
      if (in.available() > 0) {
        throw malformed(in.available() + " trailing bytes");
      }
      return m;
    } catch (IOException e) {
      throw malformed("truncated message (" + bytes.length + " bytes)");
    } catch (IllegalArgumentException e) {
      // a field the message's own checks refuse (found by SecAggWireFuzzTest: a share at x = 0)
      throw malformed(e.getMessage());
    }
  }

  private static void advertise(DataOutputStream out, AdvertiseKeys a) throws IOException {
    out.writeInt(a.client());
    bytes(out, a.encryptionKey());
    bytes(out, a.maskKey());
    bytes(out, a.signature());
  }

  private static AdvertiseKeys advertise(DataInputStream in) throws IOException {
    int id = in.readInt();
    return new AdvertiseKeys(id, bytes(in), bytes(in), bytes(in));
  }

  private static void share(DataOutputStream out, EncryptedShare e) throws IOException {
    out.writeInt(e.from());
    out.writeInt(e.to());
    bytes(out, e.envelope());
  }

  private static EncryptedShare share(DataInputStream in, int limit) throws IOException {
    return new EncryptedShare(in.readInt(), in.readInt(), bytes(in));
  }

  private static void bytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw malformed("byte string of length " + n + " with " + in.available() + " bytes left");
    }
    return in.readNBytes(n);
  }

  private static void ints(DataOutputStream out, Set<Integer> s) throws IOException {
    out.writeInt(s.size());
    for (int v : new java.util.TreeSet<>(s)) {
      out.writeInt(v);
    }
  }

  private static Set<Integer> ints(DataInputStream in, int limit) throws IOException {
    int n = count(in, limit / 4);
    Set<Integer> s = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      s.add(in.readInt());
    }
    return s;
  }

  private static void shares(DataOutputStream out, Map<Integer, Shamir.Share> m) throws IOException {
    out.writeInt(m.size());
    for (Map.Entry<Integer, Shamir.Share> e : new TreeMap<>(m).entrySet()) {
      out.writeInt(e.getKey());
      out.writeInt(e.getValue().x());
      out.write(SecAggClient.fixed(e.getValue().y()));
    }
  }

  private static Map<Integer, Shamir.Share> shares(DataInputStream in, int limit) throws IOException {
    int n = count(in, limit / 74);
    Map<Integer, Shamir.Share> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      int owner = in.readInt();
      int x = in.readInt();
      byte[] y = in.readNBytes(66);
      if (y.length != 66) {
        throw malformed("truncated share");
      }
      m.put(owner, new Shamir.Share(x, new BigInteger(1, y)));
    }
    return m;
  }

  private static int count(DataInputStream in, int limit) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > Math.min(limit, MAX_ITEMS)) {
      throw malformed("item count " + n + " exceeds what the message can hold");
    }
    return n;
  }

  private static FlException malformed(String what) {
    return new FlException(ErrorCode.INVALID_ARGUMENT, "malformed secure aggregation message: " + what);
  }
}
