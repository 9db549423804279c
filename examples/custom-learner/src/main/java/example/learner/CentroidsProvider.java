package example.learner;

import dev.starling.learners.LearnerFactory;
import dev.starling.learners.LearnerProvider;
import java.util.Set;

/**
 * Registers {@link Centroids} under the name {@code centroids}: listed in
 * {@code META-INF/services/dev.starling.learners.LearnerProvider}, so with this jar on the class path
 * {@code RunSpec.withModel("centroids")}, {@code bin/starling simulate --model centroids} and a server's
 * {@code model = centroids} find it.
 */
public final class CentroidsProvider implements LearnerProvider {
  @Override
  public Set<String> names() {
    return Set.of("centroids");
  }

  @Override
  public LearnerFactory create(String name, String argument) {
    if (argument != null) {
      throw new IllegalArgumentException("model centroids takes no argument. Provided value: 'centroids:" + argument + "'");
    }
    return Centroids::new;
  }
}
