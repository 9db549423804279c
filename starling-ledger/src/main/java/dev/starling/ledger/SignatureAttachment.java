package dev.starling.ledger;

import dev.starling.core.message.AttachmentKey;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Optional;

/**
 * A client's signature as it travels beside its update: attachment {@code ledger-signature}, one float
 * per byte (0..255, exact in float32), so it rides every transport that carries attachments.
 */
public final class SignatureAttachment {
  public static final AttachmentKey KEY = new AttachmentKey("ledger-signature");

  private SignatureAttachment() {}

  public static ParameterSet of(byte[] signature) {
    float[] f = new float[signature.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = signature[i] & 0xFF;
    }
    return ParameterSet.of(Tensor.of("signature", f, f.length));
  }

  /** The signature bytes, or empty when the attachment is not 0..255 integers. */
  public static Optional<byte[]> read(ParameterSet p) {
    if (!p.names().contains("signature")) {
      return Optional.empty();
    }
    float[] f = p.get("signature").data();
    byte[] b = new byte[f.length];
    for (int i = 0; i < f.length; i++) {
      if (!(f[i] >= 0 && f[i] <= 255 && f[i] == Math.rint(f[i]))) {
        return Optional.empty();
      }
      b[i] = (byte) (int) f[i];
    }
    return Optional.of(b);
  }
}
