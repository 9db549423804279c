package dev.starling.compression;

import dev.starling.compression.entropy.Zstd;
import dev.starling.compression.quantize.BFloat16Values;
import dev.starling.compression.quantize.Float16Values;
import dev.starling.compression.quantize.Float32Values;
import dev.starling.compression.quantize.LinearQuantizer;
import dev.starling.compression.quantize.SignValues;
import dev.starling.compression.sparsify.RandomK;
import dev.starling.compression.sparsify.TopK;
import java.util.Locale;

/** Parses codec specs. Stateless. */
public final class Codecs {
  /** The valid forms, for help texts and errors. */
  public static final String FORMS = "[topk:F|randk:F+][fp32|fp16|bf16|int8|int4|sign][+zstd[:LEVEL]], e.g. fp16, int8+zstd, "
      + "topk:0.01, topk:0.01+int8+zstd, or none";

  private Codecs() {}

  /**
   * The chain for {@code spec}: stages joined by {@code +} in the order sparsifier, value format, entropy
   * (each optional; the value format defaults to fp32). {@code none} is dense fp32. Throws
   * {@link IllegalArgumentException} naming the bad stage and the valid forms.
   */
  public static CodecChain parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT).replace(" ", "");
    if (s.isEmpty() || s.equals("none")) {
      return CodecChain.identity();
    }
    Sparsifier sparsifier = null;
    ValueCodec values = null;
    Zstd zstd = null;
    int stage = 0; // 0 sparsifier allowed, 1 value allowed, 2 entropy allowed, 3 done
    for (String part : s.split("\\+")) {
      int colon = part.indexOf(':');
      String name = colon < 0 ? part : part.substring(0, colon);
      String arg = colon < 0 ? null : part.substring(colon + 1);
      int kind;
      try {
        switch (name) {
          case "topk", "randk" -> {
            double f = Double.parseDouble(required(arg, part, spec));
            sparsifier = name.equals("topk") ? new TopK(f) : new RandomK(f);
            kind = 0;
          }
          case "fp32", "fp16", "bf16", "int8", "int4", "sign" -> {
            noArg(arg, part, spec);
            values = switch (name) {
              case "fp32" -> new Float32Values();
              case "fp16" -> new Float16Values();
              case "bf16" -> new BFloat16Values();
              case "int8" -> new LinearQuantizer(8);
              case "int4" -> new LinearQuantizer(4);
              default -> new SignValues();
            };
            kind = 1;
          }
          case "zstd" -> {
            zstd = new Zstd(arg == null ? Zstd.DEFAULT_LEVEL : Integer.parseInt(arg));
            kind = 2;
          }
          default -> throw new IllegalArgumentException("codec stage '" + part + "' in '" + spec + "' is unknown; forms: " + FORMS);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("codec stage '" + part + "' in '" + spec + "' needs a number; forms: " + FORMS, e);
      }
      if (kind < stage) {
        throw new IllegalArgumentException("codec stage '" + part + "' in '" + spec
            + "' is out of order or repeated: sparsifier, then value format, then zstd; forms: " + FORMS);
      }
      stage = kind + 1;
    }
    return new CodecChain(sparsifier, values != null ? values : new Float32Values(), zstd);
  }

  private static String required(String arg, String part, String spec) {
    if (arg == null || arg.isEmpty()) {
      throw new IllegalArgumentException("codec stage '" + part + "' in '" + spec + "' needs a fraction, e.g. topk:0.01");
    }
    return arg;
  }

  private static void noArg(String arg, String part, String spec) {
    if (arg != null) {
      throw new IllegalArgumentException("codec stage '" + part + "' in '" + spec + "' takes no parameter; forms: " + FORMS);
    }
  }
}
