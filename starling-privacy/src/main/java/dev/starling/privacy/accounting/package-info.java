/**
 * Privacy accountants for the Poisson-subsampled Gaussian mechanism: Renyi DP ({@link
 * dev.starling.privacy.accounting.RdpAccountant}) and the numerically composed privacy loss ({@link
 * dev.starling.privacy.accounting.PrvAccountant}), plus {@link
 * dev.starling.privacy.accounting.NoiseCalibration} to solve for the noise multiplier.
 */
package dev.starling.privacy.accounting;
