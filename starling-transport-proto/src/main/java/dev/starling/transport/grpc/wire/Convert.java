package dev.starling.transport.grpc.wire;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.transport.grpc.proto.TrainSettings;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Conversions between the library's records and the wire messages. */
public final class Convert {
  /** Attachment key under which a {@link TrainConfig#gradientCorrection()} travels. */
  public static final AttachmentKey GRADIENT_CORRECTION = new AttachmentKey("__gradient_correction__");

  private Convert() {}

  public static TrainSettings settings(TrainConfig c) {
    return TrainSettings.newBuilder().setLocalEpochs(c.localEpochs()).setBatchSize(c.batchSize())
        .setLearningRate(c.learningRate()).setMomentum(c.momentum()).setWeightDecay(c.weightDecay())
        .setProximalMu(c.proximalMu()).setSeed(c.seed()).setHasGradientCorrection(c.gradientCorrection() != null)
        .build();
  }

  /** The attachments sent down with a training task: the config's, plus its gradient correction. */
  public static Attachments downAttachments(TrainConfig c) {
    Attachments a = c.attachments();
    return c.gradientCorrection() == null ? a : a.with(GRADIENT_CORRECTION, c.gradientCorrection());
  }

  /** Rebuilds the training config on the client. */
  public static TrainConfig config(int round, TrainSettings s, Attachments down) {
    ParameterSet correction = s.getHasGradientCorrection() ? down.get(GRADIENT_CORRECTION).orElse(null) : null;
    Attachments rest = Attachments.none();
    for (Map.Entry<AttachmentKey, ParameterSet> e : down.asMap().entrySet()) {
      if (!e.getKey().equals(GRADIENT_CORRECTION)) {
        rest = rest.with(e.getKey(), e.getValue());
      }
    }
    return TrainConfig.builder().round(round).localEpochs(s.getLocalEpochs()).batchSize(s.getBatchSize())
        .learningRate(s.getLearningRate()).momentum(s.getMomentum()).weightDecay(s.getWeightDecay())
        .proximalMu(s.getProximalMu()).seed(s.getSeed()).gradientCorrection(correction).attachments(rest).build();
  }

  public static Map<String, Double> metrics(Metrics m) {
    return new LinkedHashMap<>(m.asMap());
  }

  public static Metrics metrics(Map<String, Double> m) {
    Metrics.Builder b = Metrics.builder();
    m.forEach(b::put);
    return b.build();
  }

  /** The most metrics of one client reply the server keeps. */
  public static final int MAX_CLIENT_METRICS = 64;

  /** The longest metric name of a client reply the server keeps. */
  public static final int MAX_METRIC_NAME = 64;

  /**
   * Client-supplied metrics made safe to aggregate, record and checkpoint: names of at most
   * {@link #MAX_METRIC_NAME} characters from {@code [A-Za-z0-9_.:-]}, at most {@link #MAX_CLIENT_METRICS} of
   * them (in name order); other entries are dropped, so a hostile client cannot grow the metrics file or a
   * checkpoint without bound.
   */
  public static Metrics clientMetrics(Map<String, Double> m) {
    Metrics.Builder b = Metrics.builder();
    int kept = 0;
    for (String name : new java.util.TreeSet<>(m.keySet())) {
      if (kept == MAX_CLIENT_METRICS) {
        break;
      }
      if (validMetricName(name)) {
        b.put(name, m.get(name));
        kept++;
      }
    }
    return b.build();
  }

  private static boolean validMetricName(String name) {
    if (name.isEmpty() || name.length() > MAX_METRIC_NAME) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
          || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The error code named {@code name}, or UNKNOWN. */
  public static ErrorCode code(String name) {
    try {
      return ErrorCode.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return ErrorCode.UNKNOWN;
    }
  }

  /** The most characters of client-supplied text (a failure reason) the server keeps. */
  public static final int MAX_CLIENT_TEXT = 256;

  /**
   * Client-supplied text made safe to store in metrics, logs and checkpoints: control characters become
   * spaces and anything beyond {@link #MAX_CLIENT_TEXT} characters is cut, with a note of how much was.
   */
  public static String clientText(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_CLIENT_TEXT + 32));
    int end = Math.min(s.length(), MAX_CLIENT_TEXT);
    if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (end < s.length()) {
      b.append("... (").append(s.length() - end).append(" more characters cut)");
    }
    return b.toString();
  }
}
