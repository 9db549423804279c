package dev.starling.vertical;

/**
 * What one training epoch of a vertical run cost, seen from the label party.
 *
 * @param epoch 1-based epoch
 * @param seconds wall time of the epoch
 * @param bytesSent payload bytes the label party sent during the epoch
 * @param bytesReceived payload bytes it received
 * @param trainLoss mean training log-loss over the epoch's batches
 */
public record EpochStats(int epoch, double seconds, long bytesSent, long bytesReceived, double trainLoss) {}
