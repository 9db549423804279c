package dev.starling.djl;

import dev.starling.learners.LearnerFactory;
import dev.starling.learners.LearnerProvider;
import java.util.Set;

/**
 * The {@code djl:} models ({@link DjlModels}) as a learner plug-in: with {@code starling-djl} and the libtorch
 * natives on the class path, {@code --model djl:cnn}, {@code djl:lstm}, {@code djl:transformer[:L,D,H]} and
 * {@code djl:mlp[:H1,...]} work in simulate, server and client. Each learner uses one PyTorch intra-op thread (the
 * simulation runs clients in parallel; see {@link DjlRuntime#threadsPerClient}).
 */
public final class DjlLearnerProvider implements LearnerProvider {
  /** Intra-op threads per learner. */
  static final int THREADS_PER_LEARNER = 1;
  /** A resource every {@code ai.djl.pytorch:pytorch-native-*} jar carries. */
  /** The libtorch version the DJL engine of this build loads (the parent POM's {@code pytorch.version}). */
  private static final String PYTORCH_VERSION = "2.7.1";
  private static final String NATIVE_MARKER = "native/lib/pytorch.properties";

  @Override
  public Set<String> names() {
    return Set.of("djl");
  }

  @Override
  public String forms() {
    return "djl:cnn[:C1,C2,DENSE] | djl:lstm[:EMBED,UNITS,LAYERS] | djl:transformer[:LAYERS,DIM,HEADS] | djl:mlp[:H1,...]";
  }

  @Override
  public LearnerFactory create(String name, String argument) {
    if (argument == null) {
      throw new IllegalArgumentException("model 'djl' needs a model name: " + forms());
    }
    String spec = "djl:" + argument;
    DjlModel model = DjlModels.parse(spec);
    requireNatives();
    return new DjlLearnerFactory(model, spec, THREADS_PER_LEARNER);
  }

  /** Refuses early, naming the artifact, if libtorch can be neither found on the class path nor loaded. */
  private static void requireNatives() {
    if (DjlLearnerProvider.class.getClassLoader().getResource(NATIVE_MARKER) != null) {
      return;
    }
    try {
      DjlRuntime.engine(); // PYTORCH_LIBRARY_PATH or an already extracted cache also do
    } catch (RuntimeException | LinkageError e) {
      throw new IllegalArgumentException("djl models need ai.djl.pytorch:pytorch-native-cpu:" + PYTORCH_VERSION
          + ":linux-x86_64 (libtorch, about 110 MB) on the class path, and it is not there (" + e.getMessage()
          + "): run ./mvnw -pl starling-djl dependency:resolve, which puts it into the local Maven repository where"
          + " bin/starling finds it, or set PYTORCH_LIBRARY_PATH to an installed libtorch");
    }
  }
}
