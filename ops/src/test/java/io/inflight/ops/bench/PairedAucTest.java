package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedAucTest {

    @Test
    void shouldGiveTheExactAucAndDeLongsErrorAsTheirDefinitionsOverEveryPairDo() {
        Random rnd = new Random(7);
        int size = 900;
        boolean[] labels = new boolean[size];
        float[] a = new float[size];
        float[] b = new float[size];
        for (int i = 0; i < size; i++) {
            labels[i] = rnd.nextDouble() < 0.2;
            double signal = labels[i] ? 0.8 : 0;
            a[i] = (float) Math.round((signal + rnd.nextGaussian()) * 4) / 4; // coarse: many ties
            b[i] = (float) (signal * 1.3 + 0.6 * rnd.nextGaussian() + 0.5 * a[i]);
        }
        PairedAuc.Result r = PairedAuc.compare(a, b, labels, size);

        // the definitions, over every (positive, negative) pair
        int m = 0;
        for (boolean l : labels) {
            m += l ? 1 : 0;
        }
        int n = size - m;
        double[] v10a = new double[size];
        double[] v10b = new double[size];
        double[] v01a = new double[size];
        double[] v01b = new double[size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                if (labels[i] && !labels[j]) {
                    v10a[i] += psi(a[i], a[j]) / n;
                    v10b[i] += psi(b[i], b[j]) / n;
                    v01a[j] += psi(a[i], a[j]) / m;
                    v01b[j] += psi(b[i], b[j]) / m;
                }
            }
        }
        double aucA = 0;
        double aucB = 0;
        for (int i = 0; i < size; i++) {
            if (labels[i]) {
                aucA += v10a[i] / m;
                aucB += v10b[i] / m;
            }
        }
        double var = covariance(v10a, v10a, labels, true) + covariance(v10b, v10b, labels, true)
                - 2 * covariance(v10a, v10b, labels, true);
        double var01 = covariance(v01a, v01a, labels, false) + covariance(v01b, v01b, labels, false)
                - 2 * covariance(v01a, v01b, labels, false);
        double se = Math.sqrt(var / m + var01 / n);

        assertThat(r.aucA()).isCloseTo(aucA, within(1e-12));
        assertThat(r.aucB()).isCloseTo(aucB, within(1e-12));
        assertThat(r.delta()).isCloseTo(aucB - aucA, within(1e-12));
        assertThat(r.se()).isCloseTo(se, within(1e-12)).isGreaterThan(0);
    }

    @Test
    void shouldMatchTheSpreadOfTheDifferenceOverIndependentSamples() {
        // the standard error must describe the difference's spread over fresh draws of the events
        Random rnd = new Random(11);
        int size = 4000;
        int draws = 300;
        double[] deltas = new double[draws];
        double seSum = 0;
        for (int d = 0; d < draws; d++) {
            PairedAuc.Scores a = new PairedAuc.Scores();
            PairedAuc.Scores b = new PairedAuc.Scores();
            for (int i = 0; i < size; i++) {
                boolean label = rnd.nextDouble() < 0.1;
                double shared = rnd.nextGaussian();
                double signal = label ? 1.0 : 0;
                a.add((float) (signal + shared + 0.7 * rnd.nextGaussian()), label);
                b.add((float) (signal * 1.1 + shared + 0.7 * rnd.nextGaussian()), label);
            }
            PairedAuc.Result r = PairedAuc.compare(a, b);
            deltas[d] = r.delta();
            seSum += r.se();
        }
        double mean = 0;
        for (double x : deltas) {
            mean += x / draws;
        }
        double ss = 0;
        for (double x : deltas) {
            ss += (x - mean) * (x - mean);
        }
        double spread = Math.sqrt(ss / (draws - 1));
        assertThat(seSum / draws).isCloseTo(spread, within(0.15 * spread));
    }

    @Test
    void shouldGiveNoDifferenceForTheSameScoresAndRefuseDifferentEvents() {
        PairedAuc.Scores a = new PairedAuc.Scores();
        PairedAuc.Scores b = new PairedAuc.Scores();
        for (int i = 0; i < 10_000; i++) { // beyond the first capacity
            a.add(i % 7, i % 3 == 0);
            b.add(i % 7, i % 3 == 0);
        }
        PairedAuc.Result same = PairedAuc.compare(a, b);
        assertThat(same.delta()).isZero();
        assertThat(same.se()).isZero();
        assertThat(same.aucA()).isBetween(0.0, 1.0);

        PairedAuc.Scores shorter = new PairedAuc.Scores();
        shorter.add(1, true);
        assertThatThrownBy(() -> PairedAuc.compare(a, shorter)).hasMessageContaining("10000 and 1 events");
        PairedAuc.Scores flipped = new PairedAuc.Scores();
        for (int i = 0; i < 10_000; i++) {
            flipped.add(i % 7, i != 5 && i % 3 == 0 || i == 5);
        }
        assertThatThrownBy(() -> PairedAuc.compare(a, flipped)).hasMessageContaining("labels differ at event 5");
    }

    @Test
    void shouldGiveNaNWithoutBothClasses() {
        PairedAuc.Scores a = new PairedAuc.Scores();
        a.add(0.5f, false);
        a.add(0.7f, false);
        PairedAuc.Result r = PairedAuc.compare(a, a);
        assertThat(r.aucA()).isNaN();
        assertThat(r.se()).isNaN();
    }

    private static double psi(float positive, float negative) {
        return positive > negative ? 1 : positive == negative ? 0.5 : 0;
    }

    private static double covariance(double[] x, double[] y, boolean[] labels, boolean positive) {
        double mx = 0;
        double my = 0;
        int c = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == positive) {
                mx += x[i];
                my += y[i];
                c++;
            }
        }
        mx /= c;
        my /= c;
        double s = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == positive) {
                s += (x[i] - mx) * (y[i] - my);
            }
        }
        return s / (c - 1);
    }
}
