/**
 * Secure aggregation (SecAgg / SecAgg+): {@link dev.starling.privacy.secagg.SecAggClient} and {@link
 * dev.starling.privacy.secagg.SecAggServer} are message-driven state machines exchanging {@link
 * dev.starling.privacy.secagg.SecAggMessages} (binary form: {@link dev.starling.privacy.secagg.SecAggWire}),
 * so any transport can carry them; {@link dev.starling.privacy.secagg.InProcessSecAgg} drives them in one
 * JVM and {@link dev.starling.privacy.secagg.SecureAggregationStrategy} plugs them into a round.
 */
package dev.starling.privacy.secagg;
