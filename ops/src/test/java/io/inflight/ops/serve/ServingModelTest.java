package io.inflight.ops.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.RowSink;
import io.inflight.store.SharedRows;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.NumericField;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.train.BatchTrainer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A replica given the trainer's weights scores exactly as the trainer does before learning. */
class ServingModelTest {

    private static final BatchSettings SETTINGS = new BatchSettings("deepfm", List.of("a", "b"),
            List.of(NumericField.parse("x"), NumericField.parse("y:none")), 4, 16, List.of(8, 8), "relu", "adam", 0.01,
            0.05, 1e-6, 0.01, 7, 0);

    /** Small vocabularies (every value gets a row early); y is missing from every third event. */
    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double x = Math.expm1(6 * r.nextDouble());
            List<ClickEvent.Numeric> numerics = i % 3 == 0 ? List.of(new ClickEvent.Numeric("x", x))
                    : List.of(new ClickEvent.Numeric("y", r.nextDouble() - 0.5), new ClickEvent.Numeric("x", x));
            out.add(new ClickEvent("e" + i, i, x > Math.expm1(3) ? 1 : 0,
                    List.of(ClickEvent.Field.of("a", "a" + r.nextInt(4)), ClickEvent.Field.of("b", "b" + r.nextInt(4))),
                    numerics));
        }
        return out;
    }

    /** What the trainer would publish: every row and the dense parameters. */
    private static void publish(EmbeddingStore rows, BatchModel model, long version, ServingModel serving) {
        rows.snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                serving.apply(ModelUpdateCodec.rowKey(0, key), ModelUpdateCodec.row(linear, values, 0, SETTINGS.dim(), mask, 32));
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("a snapshot has no tombstones");
            }
        });
        float[] dense = new float[model.denseSize()];
        model.exportDense(dense);
        int parameters = model.parameterCount();
        serving.apply(ModelUpdateCodec.denseKey(0, 0), ModelUpdateCodec.dense(version, dense, 0, parameters, parameters));
    }

    @Test
    void shouldScoreNumericFieldsExactlyAsTheTrainerBeforeLearning() {
        List<ClickEvent> events = stream(400, 1);
        try (BatchModel model = BatchModels.create(SETTINGS)) {
            EmbeddingStore rows = EmbeddingStore.inMemory("serve-test", BatchTrainer.fullPrecision(SETTINGS, 1 << 10));
            BatchTrainer trainer = new BatchTrainer(SETTINGS, model, rows);
            long step = 0;
            for (int from = 0; from < 320; from += SETTINGS.batchSize()) {
                trainer.step(events.subList(from, from + SETTINGS.batchSize()), step++, (e, logit) -> { });
            }
            ServingModel serving = new ServingModel(SETTINGS, BatchModels::create);
            float[] trained = new float[1];
            for (ClickEvent e : events.subList(320, 340)) {
                publish(rows, model, step, serving);
                ServingModel.Score served = serving.score(e);
                assertThat(served.rowsFound()).isEqualTo(2);
                trainer.step(List.of(e), step++, (event, logit) -> trained[0] = logit); // scores, then learns
                assertThat(served.logit()).as("event %s", e.id()).isEqualTo(trained[0]);
            }
            // the numeric inputs count: the same event without x scores differently
            ClickEvent e = events.get(340);
            ClickEvent withoutX = new ClickEvent(e.id(), e.eventTimeMs(), e.label(), e.fields(),
                    e.numerics().stream().filter(n -> !n.name().equals("x")).toList());
            assertThat(serving.score(withoutX).logit()).isNotEqualTo(serving.score(e).logit());
        }
    }

    @Test
    void shouldServeOnlyTheUpdatesOfItsOwnModel() {
        ClickEvent e = stream(1, 2).get(0);
        long rowKey = FeatureKeys.key("a", e.fields().get(0).values().get(0));
        float[] values = {0.5f, -0.25f, 0.125f, 1f};
        ServingModel zero = new ServingModel(SETTINGS, BatchModels::create, 0);
        ServingModel one = new ServingModel(SETTINGS, BatchModels::create, 1);
        for (ServingModel m : List.of(zero, one)) { // partition 1's trainer published the row
            m.apply(ModelUpdateCodec.rowKey(1, rowKey), ModelUpdateCodec.row(0.3f, values, 0, 4, 1, 32));
        }
        assertThat(zero.rows()).isZero();
        assertThat(one.rows()).isEqualTo(1);
        assertThat(one.score(e).rowsFound()).isEqualTo(1);
        // a key of the layout before the model was in it belongs to model 0
        zero.apply(ByteBuffer.allocate(9).put((byte) 'r').putLong(rowKey).array(),
                ModelUpdateCodec.row(0.3f, values, 0, 4, 1, 32));
        assertThat(zero.rows()).isEqualTo(1);
    }

    @Test
    void shouldParseTheNumericFieldsOfAScoringRequest() throws Exception {
        ClickEvent e = ServeEndpoint.parse("{\"features\":{\"a\":\"a1\"},\"numeric\":{\"x\":3.5,\"y\":-2}}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(e.numerics()).containsExactly(new ClickEvent.Numeric("x", 3.5), new ClickEvent.Numeric("y", -2));
        assertThat(ServeEndpoint.parse("{\"features\":{\"a\":\"a1\"}}".getBytes(StandardCharsets.UTF_8)).numerics())
                .isEmpty();
        assertThatThrownBy(() -> ServeEndpoint.parse("{\"features\":{\"a\":\"a1\"},\"numeric\":{\"x\":\"high\"}}"
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("'x'").hasMessageContaining("finite number");
        assertThatThrownBy(() -> ServeEndpoint.parse("{\"features\":{\"a\":\"a1\"},\"numeric\":[1]}"
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("numeric");
    }

    /** Three replicas given the same dense parameters (the model's initial ones). */
    private static List<ServingModel> replicas(int n) {
        List<ServingModel> out = new ArrayList<>();
        try (BatchModel model = BatchModels.create(SETTINGS)) {
            float[] dense = new float[model.denseSize()];
            model.exportDense(dense);
            int parameters = model.parameterCount();
            for (int i = 0; i < n; i++) {
                ServingModel m = new ServingModel(SETTINGS, BatchModels::create);
                m.apply(ModelUpdateCodec.denseKey(0, 0), ModelUpdateCodec.dense(1, dense, 0, parameters, parameters));
                out.add(m);
            }
        }
        return out;
    }

    /** A table of H shared rows of D = 4 values and a linear weight, all different. */
    private static float[] sharedTable(int h) {
        float[] t = new float[h * 5];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) Math.sin(i + 1) * 0.7f;
        }
        return t;
    }

    @Test
    void shouldScoreAFeatureWithoutARowThroughItsGatedSharedRow() {
        ClickEvent e = new ClickEvent("e", 0, 1, List.of(ClickEvent.Field.of("a", "a1"), ClickEvent.Field.of("b", "b1")),
                List.of(new ClickEvent.Numeric("x", 2.0)));
        long a = FeatureKeys.key("a", "a1");
        long b = FeatureKeys.key("b", "b1");
        float[] aValues = {0.5f, -0.25f, 0.125f, 1f};
        float[] table = sharedTable(8);
        float[] gates = {0.5f, 0.25f}; // per field: a, b
        List<ServingModel> m = replicas(3);
        ServingModel served = m.get(0);
        ServingModel explicit = m.get(1);
        ServingModel zeros = m.get(2);
        for (ServingModel r : m) {
            r.apply(ModelUpdateCodec.rowKey(0, a), ModelUpdateCodec.row(0.3f, aValues, 0, 4, 1, 32));
        }
        served.apply(ModelUpdateCodec.sharedKey(0, 0), ModelUpdateCodec.sharedChunk(7, 8, 4, 0, 8, table, 0));
        assertThat(served.score(e).logit()).as("no gates yet: zeros").isEqualTo(zeros.score(e).logit());
        served.apply(ModelUpdateCodec.gatesKey(0), ModelUpdateCodec.gates(7, 8, 4, new int[] {4}, gates));
        // what the trainer reads for b: gate(b) x shared row slot(b), values and linear weight
        int r = SharedRows.slot(b, 8) * 5;
        float[] gated = new float[4];
        for (int j = 0; j < 4; j++) {
            gated[j] = table[r + j] * gates[1];
        }
        explicit.apply(ModelUpdateCodec.rowKey(0, b), ModelUpdateCodec.row(table[r + 4] * gates[1], gated, 0, 4, 1, 32));

        ServingModel.Score s = served.score(e);
        assertThat(s.rowsFound()).isEqualTo(1);
        assertThat(s.features()).isEqualTo(2);
        assertThat(s.logit()).isEqualTo(explicit.score(e).logit());
        assertThat(s.logit()).isNotEqualTo(zeros.score(e).logit());
        assertThat(served.sharedRows()).isEqualTo(8);
        assertThat(served.sharedRowsHeld()).isEqualTo(8);
        assertThat(served.rows()).isEqualTo(1);
    }

    @Test
    void shouldReadAPrunedChunkFromTheGatedSharedRow() {
        ClickEvent e = new ClickEvent("e", 0, 0, List.of(ClickEvent.Field.of("a", "a2")), List.of());
        long a = FeatureKeys.key("a", "a2");
        float[] table = sharedTable(4);
        List<ServingModel> m = replicas(2);
        ServingModel served = m.get(0);
        ServingModel explicit = m.get(1);
        // chunks of widths 2 and 2; the row keeps chunk 0 only (its chunk 1 is published as zeros)
        served.apply(ModelUpdateCodec.sharedKey(0, 0), ModelUpdateCodec.sharedChunk(3, 4, 4, 0, 4, table, 0));
        served.apply(ModelUpdateCodec.gatesKey(0), ModelUpdateCodec.gates(3, 4, 4, new int[] {2, 2}, new float[] {0.75f, 1f}));
        served.apply(ModelUpdateCodec.rowKey(0, a), ModelUpdateCodec.row(0.3f, new float[] {0.5f, -0.25f, 0f, 0f}, 0, 4, 0b01, 8));
        int r = SharedRows.slot(a, 4) * 5;
        explicit.apply(ModelUpdateCodec.rowKey(0, a), ModelUpdateCodec.row(0.3f,
                new float[] {0.5f, -0.25f, table[r + 2] * 0.75f, table[r + 3] * 0.75f}, 0, 4, 0b11, 32));
        assertThat(served.score(e).rowsFound()).isEqualTo(1);
        assertThat(served.score(e).logit()).isEqualTo(explicit.score(e).logit());
    }

    @Test
    void shouldDropSharedChunksOfAnOlderTableSize() {
        ServingModel m = new ServingModel(SETTINGS, BatchModels::create);
        float[] table = sharedTable(8);
        m.apply(ModelUpdateCodec.sharedKey(0, 0), ModelUpdateCodec.sharedChunk(10, 4, 4, 0, 4, table, 0));
        assertThat(m.sharedRowsHeld()).isEqualTo(4);
        // a newer publication doubled H: the old chunk is stale
        m.apply(ModelUpdateCodec.gatesKey(0), ModelUpdateCodec.gates(20, 8, 4, new int[] {4}, new float[] {1f, 1f}));
        assertThat(m.sharedRows()).isEqualTo(8);
        assertThat(m.sharedRowsHeld()).isZero();
        m.apply(ModelUpdateCodec.sharedKey(0, 0), ModelUpdateCodec.sharedChunk(10, 4, 4, 0, 4, table, 0)); // read late
        assertThat(m.sharedRows()).isEqualTo(8);
        assertThat(m.sharedRowsHeld()).isZero();
        m.apply(ModelUpdateCodec.sharedKey(0, 1), ModelUpdateCodec.sharedChunk(20, 8, 4, 4, 4, table, 20));
        assertThat(m.sharedRowsHeld()).isEqualTo(4);
        m.apply(ModelUpdateCodec.sharedKey(0, 1), null); // a tombstone changes nothing
        assertThat(m.sharedRowsHeld()).isEqualTo(4);
        assertThatThrownBy(() -> m.apply(ModelUpdateCodec.gatesKey(0), ModelUpdateCodec.gates(21, 8, 4, new int[] {4},
                new float[] {1f, 1f, 1f}))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gate 3 fields");
        assertThatThrownBy(() -> m.apply(ModelUpdateCodec.sharedKey(0, 0), ModelUpdateCodec.sharedChunk(21, 8, 2, 0, 1, table,
                0))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension 2");
    }
}
