package io.inflight.ops.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DistinctFeaturesTest {

    @Test
    void shouldCountTheDistinctFeaturesOfTheStreamAndOfEveryPrefix() {
        GeneratorSpec spec = GeneratorSpec.defaults(5_000, 3);
        List<ClickEvent> passed = new ArrayList<>();
        DistinctFeatures counter = new DistinctFeatures(new EventSink() {
            @Override
            public void write(ClickEvent event) {
                passed.add(event);
            }

            @Override
            public void close() {
            }
        });
        SyntheticStream stream = new SyntheticStream(spec);
        Set<Long> keys = new HashSet<>();
        long atStep = -1;
        while (stream.hasNext()) {
            ClickEvent e = stream.nextEvent();
            counter.write(e);
            e.fields().forEach(f -> f.values().forEach(v -> keys.add(FeatureKeys.key(f.name(), v))));
            if (passed.size() == 2 * DistinctFeatures.STEP) {
                atStep = keys.size();
            }
        }
        counter.close();
        assertThat(passed).hasSize(5_000); // every event goes on to the sink
        assertThat(counter.distinct()).isEqualTo(keys.size()).isGreaterThan(1_000);
        assertThat(counter.distinctAt(5_000)).isEqualTo(keys.size());
        assertThat(counter.distinctAt(2 * DistinctFeatures.STEP)).isEqualTo(atStep);
        assertThat(counter.distinctAt(2 * DistinctFeatures.STEP + 10)).isEqualTo(atStep); // to the step below
        assertThat(counter.distinctAt(10)).isZero();
    }
}
