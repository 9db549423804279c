package dev.starling.djl;

/**
 * What a DJL model predicts, which decides its loss and metrics.
 *
 * <p>Kept local to this module; it maps one to one onto the framework-wide task vocabulary once that exists.
 */
public enum DjlTask {
  /** One class per example: softmax cross-entropy; metrics loss and accuracy. */
  CLASSIFICATION,
  /** Integer token ids in, the next token out: softmax cross-entropy over the vocabulary; loss and accuracy. */
  NEXT_TOKEN,
  /** One real target per example: mean squared error; metrics loss (MSE) and rmse. */
  REGRESSION
}
