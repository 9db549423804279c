/**
 * Differential privacy as strategy decorators: user-level central DP ({@link
 * dev.starling.privacy.dp.CentralDpStrategy}, fixed or adaptive clipping), local DP ({@link
 * dev.starling.privacy.dp.LocalDpStrategy}) and example-level DP-SGD accounting ({@link
 * dev.starling.privacy.dp.DpSgdStrategy}); each reports {@code epsilon} and {@code delta} every round and
 * can enforce a target epsilon. Noise is drawn from {@link dev.starling.core.random.RandomSource#secure()}
 * unless a seeded source is passed explicitly.
 */
package dev.starling.privacy.dp;
