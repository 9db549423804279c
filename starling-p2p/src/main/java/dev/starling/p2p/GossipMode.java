package dev.starling.p2p;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import java.util.Locale;
import java.util.Objects;

/** How peers combine their neighbours' models after local training. Immutable. */
public sealed interface GossipMode {
  /** The spec forms for help texts and errors. */
  String FORMS = "dpsgd | push-sum | choco[:GAMMA]";

  /** The spec this mode parses from. */
  String describe();

  /**
   * D-PSGD (Lian et al. 2017): {@code x_i <- sum_j W_ij x_j^{1/2}} with doubly stochastic W, where
   * {@code x^{1/2}} is the model after local training. Sends full float32 models.
   */
  record DPsgd() implements GossipMode {
    @Override
    public String describe() {
      return "dpsgd";
    }
  }

  /**
   * Push-sum / stochastic gradient push (Kempe et al. 2003; Assran et al. 2019): each peer keeps a numerator and a
   * scalar weight, splits both evenly among itself and its out-neighbours, and trains from numerator / weight;
   * needs only column-stochastic mixing, so it runs on directed graphs.
   */
  record PushSum() implements GossipMode {
    @Override
    public String describe() {
      return "push-sum";
    }
  }

  /**
   * CHOCO-SGD (Koloskova, Stich, Jaggi 2019): each peer keeps public copies {@code x_hat} of itself and its
   * neighbours, sends only {@code q_i = Q(x_i^{1/2} - x_hat_i)} encoded by {@code codec}, everyone adds the q's to
   * the copies, and {@code x_i <- x_i^{1/2} + gamma sum_j W_ij (x_hat_j - x_hat_i)}. The copies are the error
   * feedback: what a codec dropped is sent later.
   *
   * @param gamma consensus step size in (0, 1]
   * @param codec the codec Q ({@code uplink-codec})
   */
  record Choco(double gamma, CodecChain codec) implements GossipMode {
    public Choco {
      if (!(gamma > 0 && gamma <= 1)) {
        throw new IllegalArgumentException("gossip choco:GAMMA needs GAMMA in (0, 1]. Provided value: " + gamma);
      }
      Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String describe() {
      return "choco:" + gamma + " (" + codec.describe() + ")";
    }
  }

  /** Default CHOCO consensus step size. */
  double DEFAULT_GAMMA = 0.5;

  /** Parses {@link #FORMS}; {@code codecSpec} is CHOCO's codec ({@code none} for exact copies). */
  static GossipMode parse(String spec, String codecSpec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("dpsgd")) {
      return new DPsgd();
    }
    if (s.equals("push-sum")) {
      return new PushSum();
    }
    if (s.equals("choco") || s.startsWith("choco:")) {
      double g = DEFAULT_GAMMA;
      if (s.startsWith("choco:")) {
        try {
          g = Double.parseDouble(s.substring(6));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("gossip must be one of " + FORMS + ". Provided value: " + spec, e);
        }
      }
      return new Choco(g, Codecs.parse(codecSpec));
    }
    throw new IllegalArgumentException("gossip must be one of " + FORMS + ". Provided value: " + spec);
  }
}
