package io.inflight.trainer.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.trainer.model.Losses;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProgressiveMetricsTest {

    @Test
    void shouldMatchExactAucWithinTheStatedBound() {
        SplittableRandom r = new SplittableRandom(1);
        int n = 50_000;
        double[] logits = new double[n];
        int[] labels = new int[n];
        ProgressiveMetrics m = new ProgressiveMetrics(4096);
        for (int i = 0; i < n; i++) {
            logits[i] = r.nextGaussian() * 2;
            labels[i] = r.nextDouble() < Losses.sigmoid(logits[i]) ? 1 : 0;
            m.record(logits[i], labels[i]);
        }
        double exact = exactAuc(logits, labels);
        assertThat(m.aucTieBound()).isLessThan(0.001);
        assertThat(m.auc()).isCloseTo(exact, within(m.aucTieBound() + 1e-12));
        assertThat(m.auc()).isGreaterThan(0.7);
    }

    @Test
    void shouldGiveHalfForRandomScoresAndOneForPerfectOnes() {
        ProgressiveMetrics perfect = new ProgressiveMetrics(256);
        ProgressiveMetrics constant = new ProgressiveMetrics(256);
        for (int i = 0; i < 1000; i++) {
            int y = i % 3 == 0 ? 1 : 0;
            perfect.record(y == 1 ? 3 : -3, y);
            constant.record(0.0, y);
        }
        assertThat(perfect.auc()).isEqualTo(1.0);
        assertThat(constant.auc()).isEqualTo(0.5);
    }

    @Test
    void shouldComputeLogLossNeAndCalibration() {
        ProgressiveMetrics m = new ProgressiveMetrics(256);
        m.record(0.0, 1);
        m.record(0.0, 0);
        var s = m.summary();
        assertThat(s.logLoss()).isCloseTo(Math.log(2), within(1e-12));
        assertThat(s.ne()).isCloseTo(1.0, within(1e-12)); // predicting the base rate
        assertThat(s.calibration()).isCloseTo(1.0, within(1e-12));
        assertThat(s.events()).isEqualTo(2);
    }

    @Test
    void shouldMergeLikeOneStream() {
        ProgressiveMetrics a = new ProgressiveMetrics(512);
        ProgressiveMetrics b = new ProgressiveMetrics(512);
        ProgressiveMetrics all = new ProgressiveMetrics(512);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 2000; i++) {
            double z = r.nextGaussian();
            int y = r.nextInt(2);
            (i % 2 == 0 ? a : b).record(z, y);
            all.record(z, y);
        }
        a.merge(b);
        assertThat(a.summary().auc()).isEqualTo(all.summary().auc());
        assertThat(a.summary().events()).isEqualTo(2000);
        assertThat(a.summary().logLoss()).isCloseTo(all.summary().logLoss(), within(1e-12));
    }

    @Test
    void shouldRoundTripScalars() {
        var s = new ProgressiveMetrics.Scalars(5, 2, 1.25, 2.5, 3);
        assertThat(ProgressiveMetrics.Scalars.fromBytes(s.toBytes())).isEqualTo(s);
    }

    private static double exactAuc(double[] logits, int[] labels) {
        Integer[] idx = new Integer[logits.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (x, y) -> Double.compare(logits[x], logits[y]));
        double rankSum = 0;
        long pos = 0;
        for (int i = 0; i < idx.length; i++) {
            if (labels[idx[i]] == 1) {
                rankSum += i + 1;
                pos++;
            }
        }
        long neg = logits.length - pos;
        return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
