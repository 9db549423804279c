/**
 * Byzantine-robust aggregation rules: {@link dev.starling.strategy.robust.CoordinateMedian},
 * {@link dev.starling.strategy.robust.TrimmedMean}, {@link dev.starling.strategy.robust.Krum},
 * {@link dev.starling.strategy.robust.MultiKrum}, {@link dev.starling.strategy.robust.Bulyan} and the
 * {@link dev.starling.strategy.robust.NormBoundedStrategy} decorator, built from command-line specs by
 * {@link dev.starling.strategy.robust.RobustRules}.
 *
 * <p>Common behaviour of the rules (all but the decorator):
 * <ul>
 *   <li>They need every client's update, so {@code requiredInput()} is
 *       {@link dev.starling.strategy.AggregationInput#INDIVIDUAL_UPDATES}; each update's tensors are kept
 *       by reference, not copied, until the round finishes (memory: clients x model size).</li>
 *   <li>The numeric work runs in the kernels of {@code dev.starling.strategy.kernel} (sorting networks,
 *       blocked Gram matrix), on all cores, each tested against a readable scalar reference.</li>
 *   <li>Each states how many faulty clients {@code f} it tolerates out of {@code n} updates, and
 *       {@code prepare(RoundPlan)} refuses a plan with too few clients per round, naming the
 *       requirement and what to change.</li>
 *   <li>If drop-outs leave fewer updates than the rule needs, {@code finish} does not aggregate: it
 *       returns the global model unchanged with the metric {@code aggregation_refused = 1}, and the run
 *       goes on.</li>
 *   <li>Metrics: {@code clients_aggregated} (updates the rule ran over), {@code train_loss} and
 *       {@code examples} over the clients the rule did not reject, plus rule-specific counts.</li>
 *   <li>Verdicts ({@link dev.starling.strategy.ClientVerdict}) report which updates were rejected,
 *       down-weighted or clipped, in arrival order.</li>
 * </ul>
 */
package dev.starling.strategy.robust;
