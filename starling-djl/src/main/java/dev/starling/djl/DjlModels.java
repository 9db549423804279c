package dev.starling.djl;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The deep models by spec, a plain static registry (a {@code LearnerProvider} plug-in adapts it):
 *
 * <ul>
 *   <li>{@code djl:cnn[:C1,C2,DENSE]}: {@link CnnModel}, default 32,64,512 (the FedAvg CNN)
 *   <li>{@code djl:lstm[:EMBED,UNITS,LAYERS]}: {@link LstmModel}, default 8,256,2 (the FedAvg Shakespeare LSTM)
 *   <li>{@code djl:transformer[:LAYERS,DIM,HEADS]}: {@link TransformerModel}, default 2,64,4
 *   <li>{@code djl:mlp[:H1,H2,...]}: {@link MlpModel}, default 64,32; {@code djl:mlp:} for a linear model
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class DjlModels {
  /** The spec forms, one per line, for help texts. */
  public static final List<String> FORMS = List.of(
      "djl:cnn[:C1,C2,DENSE]          FedAvg CNN (default 32,64,512; 1,663,370 params on 1x28x28, 10 classes)",
      "djl:lstm[:EMBED,UNITS,LAYERS]  FedAvg Shakespeare character LSTM (default 8,256,2)",
      "djl:transformer[:LAYERS,DIM,HEADS]  decoder-only transformer for next-token prediction (default 2,64,4)",
      "djl:mlp[:H1,H2,...]            MLP for regression or classification (default 64,32)");

  private DjlModels() {}

  /** True if {@code spec} is in this registry's namespace ({@code djl:...}). */
  public static boolean handles(String spec) {
    return spec != null && spec.trim().toLowerCase(Locale.ROOT).startsWith("djl:");
  }

  /**
   * The model {@code spec} names.
   *
   * @throws IllegalArgumentException naming the spec and the accepted forms if it is not one of them
   */
  public static DjlModel parse(String spec) {
    if (!handles(spec)) {
      throw bad(spec, "it does not start with 'djl:'");
    }
    String s = spec.trim().toLowerCase(Locale.ROOT).substring(4);
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String args = colon < 0 ? null : s.substring(colon + 1);
    try {
      return switch (kind) {
        case "cnn" -> args == null ? CnnModel.FEDAVG : cnn(ints(spec, args, 3));
        case "lstm" -> args == null ? LstmModel.FEDAVG : lstm(ints(spec, args, 3));
        case "transformer" -> args == null ? TransformerModel.SMALL : transformer(ints(spec, args, 3));
        case "mlp" -> new MlpModel(args == null ? new int[] {64, 32} : args.isEmpty() ? new int[0] : ints(spec, args, -1));
        default -> throw bad(spec, "unknown model '" + kind + "'");
      };
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("model spec")) {
        throw e;
      }
      throw bad(spec, e.getMessage());
    }
  }

  /**
   * Parses {@code spec} and returns the factory the framework calls per client.
   *
   * @throws IllegalArgumentException as {@link #parse}
   */
  public static Factory factory(String spec) {
    DjlModel model = parse(spec);
    return (data, seed, threads) -> DjlLearner.create(model, data, seed, threads);
  }

  /** Trainable parameters of {@code model} for examples of {@code exampleShape} and {@code outputs} outputs. */
  public static long parameterCount(DjlModel model, int[] exampleShape, int outputs) {
    Block block = model.build(exampleShape, outputs);
    long[] s = new long[exampleShape.length + 1];
    s[0] = 1;
    for (int i = 0; i < exampleShape.length; i++) {
      s[i + 1] = exampleShape[i];
    }
    try (NDManager m = DjlRuntime.engine().newBaseManager()) {
      block.initialize(m, DataType.FLOAT32, new Shape(s));
      long n = 0;
      for (Pair<String, Parameter> p : block.getParameters()) {
        n += p.getValue().getArray().size();
      }
      return n;
    }
  }

  /** One line for logs: spec, input, outputs and parameter count, e.g. printed at the start of a run. */
  public static String describe(DjlModel model, int[] exampleShape, int outputs) {
    return String.format(Locale.ROOT, "%s on %s -> %d outputs: %,d parameters (PyTorch %s via DJL)", model.spec(),
        Arrays.toString(exampleShape), outputs, parameterCount(model, exampleShape, outputs), DjlRuntime.version());
  }

  /**
   * Builds one client's learner. This is the adapter point for a {@code LearnerFactory} / {@code LearnerProvider}
   * SPI: the provider claims specs for which {@link #handles} is true and maps its data and seed onto this.
   */
  @FunctionalInterface
  public interface Factory {
    /**
     * A learner on {@code data}, initial parameters from {@code seed}, using at most {@code threads} intra-op
     * threads. Every client built with the same seed starts from the same model.
     */
    DjlLearner create(DjlData data, long seed, int threads);
  }

  private static CnnModel cnn(int[] a) {
    return new CnnModel(a[0], a[1], a[2]);
  }

  private static LstmModel lstm(int[] a) {
    return new LstmModel(a[0], a[1], a[2]);
  }

  private static TransformerModel transformer(int[] a) {
    return new TransformerModel(a[0], a[1], a[2]);
  }

  private static int[] ints(String spec, String args, int expected) {
    String[] parts = args.split(",", -1);
    if (expected > 0 && parts.length != expected) {
      throw bad(spec, "expected " + expected + " comma-separated integers after the model name, got " + parts.length);
    }
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw bad(spec, "'" + parts[i] + "' is not an integer");
      }
      if (out[i] <= 0) {
        throw bad(spec, "sizes must be positive, got " + out[i]);
      }
    }
    return out;
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException("model spec '" + spec + "' is invalid: " + why + ". Accepted forms:\n  "
        + String.join("\n  ", FORMS));
  }
}
