/**
 * Homomorphic aggregation: {@link dev.starling.privacy.he.Paillier} (keys of at least 2048 bits, optional
 * n-of-n key split) and {@link dev.starling.privacy.he.PackedPaillier} (several fixed-point values per
 * ciphertext).
 */
package dev.starling.privacy.he;
