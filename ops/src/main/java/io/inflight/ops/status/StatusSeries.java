package io.inflight.ops.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status page's time series: the last {@link #CAPACITY} samples in a ring, as one column of
 * times and one column per named value (a value first seen later is empty before it). Thread-safe.
 */
public final class StatusSeries {

    /** Samples kept: an hour at one sample every 5 s. */
    public static final int CAPACITY = 720;

    private final int capacity;
    private final long[] times;
    private final Map<String, double[]> columns = new LinkedHashMap<>();
    private int next;
    private int size;

    public StatusSeries() {
        this(CAPACITY);
    }

    StatusSeries(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.times = new long[capacity];
    }

    /** Appends one sample taken at {@code epochMs}, dropping the oldest when full. */
    public synchronized void add(long epochMs, Map<String, Double> values) {
        times[next] = epochMs;
        for (Map.Entry<String, Double> e : values.entrySet()) {
            columns.computeIfAbsent(e.getKey(), k -> {
                double[] c = new double[capacity];
                java.util.Arrays.fill(c, Double.NaN);
                return c;
            });
        }
        for (Map.Entry<String, double[]> c : columns.entrySet()) {
            Double v = values.get(c.getKey());
            c.getValue()[next] = v == null ? Double.NaN : v;
        }
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    public synchronized int size() {
        return size;
    }

    /**
     * The samples oldest first: {@code t} (seconds since the epoch) and one list per name, with
     * null where a value is missing or not a number (JSON has no NaN).
     */
    public synchronized Map<String, Object> toMap() {
        int first = (next - size + capacity) % capacity;
        List<Double> t = new ArrayList<>(size);
        Map<String, List<Double>> cols = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            int at = (first + i) % capacity;
            t.add(times[at] / 1e3);
            for (Map.Entry<String, double[]> c : columns.entrySet()) {
                double v = c.getValue()[at];
                cols.computeIfAbsent(c.getKey(), k -> new ArrayList<>(size)).add(Double.isFinite(v) ? v : null);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("t", t);
        out.put("series", cols);
        return out;
    }
}
