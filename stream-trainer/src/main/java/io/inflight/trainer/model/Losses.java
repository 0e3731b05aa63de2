package io.inflight.trainer.model;

/** Numerically stable sigmoid and log-loss. */
public final class Losses {

    private Losses() {
    }

    public static double sigmoid(double z) {
        if (z >= 0) {
            return 1.0 / (1.0 + Math.exp(-z));
        }
        double e = Math.exp(z);
        return e / (1.0 + e);
    }

    /** Log-loss of a logit against a 0/1 label, computed from the logit to avoid log(0). */
    public static double logLoss(double logit, int label) {
        // -[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) - y z
        double softplus = logit > 0 ? logit + Math.log1p(Math.exp(-logit)) : Math.log1p(Math.exp(logit));
        return softplus - label * logit;
    }
}
