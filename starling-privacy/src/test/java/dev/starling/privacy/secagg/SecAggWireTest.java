package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.Message;
import dev.starling.privacy.secagg.SecAggMessages.ShareBundle;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A whole protocol run in which every message crosses the wire codec, as over a transport. */
class SecAggWireTest {
  @SuppressWarnings("unchecked")
  private static <T extends Message> T wire(T m) {
    return (T) SecAggWire.decode(SecAggWire.encode(m));
  }

  @Test
  void protocolOverTheWire_withDropouts_givesTheExactSum() {
    int n = 7;
    int len = 300;
    FixedPoint codec = new FixedPoint(16, 4, n);
    SecAggParams p = SecAggParams.forClients(n, 0.3, codec, len);
    SecureRandom rng = new SecureRandom();
    SecAggServer server = new SecAggServer(p);
    List<SecAggClient> clients = new ArrayList<>();
    Map<Integer, float[]> inputs = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      clients.add(new SecAggClient(i, p, rng));
      float[] x = new float[len];
      for (int j = 0; j < len; j++) {
        x[j] = (float) Math.sin(i * 31 + j);
      }
      inputs.put(i, x);
    }
    clients.forEach(c -> server.receive(wire(c.advertise())));
    KeyDirectory dir = wire(server.directory());
    for (SecAggClient c : clients) {
      ShareBundle b = wire(new ShareBundle(c.id(), c.shareKeys(dir)));
      server.receiveShares(b.client(), b.shares());
    }
    Map<Integer, List<EncryptedShare>> inbox = server.inboxes();
    for (SecAggClient c : clients) {
      if (c.id() == 2) {
        continue; // drops out before masking
      }
      List<EncryptedShare> mine = wire(new ShareBundle(c.id(), inbox.get(c.id()))).shares();
      server.receiveMasked(wire(c.maskInput(mine, inputs.get(c.id()))));
    }
    UnmaskRequest req = wire(server.unmaskRequest());
    for (SecAggClient c : clients) {
      if (c.id() != 2 && c.id() != 5) { // 5 drops out before unmasking
        server.receiveUnmask(wire(c.unmask(req)));
      }
    }
    double[] sum = server.finish();
    int[] expected = new int[len];
    for (int id : inputs.keySet()) {
      if (id != 2) {
        int[] e = codec.encode(inputs.get(id));
        for (int j = 0; j < len; j++) {
          expected[j] += e[j];
        }
      }
    }
    assertThat(sum).containsExactly(codec.decode(expected));
  }

  @Test
  void decode_truncatedOrForgedLengths_rejected() {
    byte[] ok = SecAggWire.encode(new MaskedInput(3, new int[] {1, 2, 3}));
    assertThat(((MaskedInput) SecAggWire.decode(ok)).masked()).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> SecAggWire.decode(Arrays.copyOf(ok, ok.length - 2))).isInstanceOf(FlException.class)
        .hasMessageContaining("malformed");
    byte[] forged = ok.clone();
    forged[9] = 0x7f; // item count high byte
    assertThatThrownBy(() -> SecAggWire.decode(forged)).isInstanceOf(FlException.class).hasMessageContaining("item count");
  }
}
