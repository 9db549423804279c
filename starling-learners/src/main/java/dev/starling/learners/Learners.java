package dev.starling.learners;

import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Resolves model specs ({@code NAME[:ARGS]}) to {@link LearnerFactory}s through the {@link LearnerProvider}s on the
 * class path: the built-ins ({@code logreg}, {@code mlp:H1,H2,...}) and any a jar adds.
 */
public final class Learners {
  private Learners() {}

  /**
   * The factory for {@code spec}: NAME (case-insensitive) picks the provider, the text after the first {@code ':'}
   * is its argument. The factory's {@link LearnerFactory#id()} is the spec (NAME in lower case), unless it names
   * itself. Throws {@link IllegalArgumentException} listing every known form for an unknown name.
   */
  public static LearnerFactory parse(String spec) {
    String s = spec.trim();
    int colon = s.indexOf(':');
    String name = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
    String arg = colon < 0 ? null : s.substring(colon + 1);
    LearnerProvider p = Providers.BY_NAME.get(name);
    if (p == null) {
      throw new IllegalArgumentException("model must be one of " + forms() + ". Provided value: '" + spec + "'");
    }
    LearnerFactory f = p.create(name, arg);
    boolean namesItself = f instanceof ModelSpec || !f.id().equals(f.toString());
    return namesItself ? f : new Named(arg == null ? name : name + ":" + arg, f);
  }

  /** A provider's factory under the spec it was made from. */
  private record Named(String id, LearnerFactory factory) implements LearnerFactory {
    @Override
    public dev.starling.core.learner.LocalLearner create(LearnerContext ctx, Dataset data) {
      return factory.create(ctx, data);
    }

    @Override
    public <T> java.util.Optional<T> capability(Class<T> type) {
      return factory.capability(type);
    }

    @Override
    public String toString() {
      return id;
    }
  }

  /** Every known model form, built-ins first, for help texts and error messages. */
  public static String forms() {
    return Providers.FORMS;
  }

  /** The providers on the class path, by name, loaded once. */
  private static final class Providers {
    static final Map<String, LearnerProvider> BY_NAME = new LinkedHashMap<>();
    static final String FORMS;

    static {
      List<String> forms = new ArrayList<>();
      for (LearnerProvider p : ServiceLoader.load(LearnerProvider.class, Learners.class.getClassLoader())) {
        for (String n : p.names()) {
          LearnerProvider old = BY_NAME.putIfAbsent(n.toLowerCase(Locale.ROOT), p);
          if (old != null) {
            throw new IllegalStateException("model name '" + n + "' is provided twice: by " + old.getClass().getName()
                + " and " + p.getClass().getName());
          }
        }
        forms.add(p.forms());
      }
      FORMS = String.join(" | ", forms);
    }
  }

  /** The built-in learners ({@link ModelSpec}), registered as a {@link LearnerProvider} like any other. */
  public static final class Builtin implements LearnerProvider {
    @Override
    public Set<String> names() {
      return Set.of("logreg", "mlp");
    }

    @Override
    public String forms() {
      return "logreg | mlp:H1,H2,...";
    }

    @Override
    public LearnerFactory create(String name, String argument) {
      return ModelSpec.parse(argument == null ? name : name + ":" + argument);
    }
  }
}
