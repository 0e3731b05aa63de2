package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicCatalogueTest {

    @Test
    void shouldNameEveryTopicWithThePrefix() {
        TopicCatalogue c = new TopicCatalogue("shop-a", 3, (short) 1);
        assertThat(c.clicks()).isEqualTo("shop-a.clicks");
        assertThat(c.modelUpdates()).isEqualTo("shop-a.model-updates");
        assertThat(c.deadLetter()).isEqualTo("shop-a.dead-letter");
        assertThat(c.predictions()).isEqualTo("shop-a.predictions");
        assertThat(c.specs()).extracting(TopicSpec::name)
                .containsExactly("shop-a.clicks", "shop-a.model-updates", "shop-a.dead-letter", "shop-a.predictions");
    }

    @Test
    void shouldCompactModelUpdatesAndDeleteTheRest() {
        TopicCatalogue c = new TopicCatalogue("p", 2, (short) 3);
        for (TopicSpec s : c.specs()) {
            assertThat(s.partitions()).isEqualTo(2);
            assertThat(s.replicationFactor()).isEqualTo((short) 3);
            String expected = s.name().equals("p.model-updates") ? "compact" : "delete";
            assertThat(s.configs()).containsEntry("cleanup.policy", expected);
            assertThat(s.toNewTopic().configs()).containsEntry("cleanup.policy", expected);
        }
    }

    @Test
    void shouldRejectIllegalPrefixNamingIt() {
        assertThatThrownBy(() -> new TopicCatalogue("bad prefix!", 1, (short) 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad prefix!'");
        assertThatThrownBy(() -> new TopicCatalogue("", 1, (short) 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TopicCatalogue("x".repeat(201), 1, (short) 1))
                .hasMessageContaining("201");
    }

    @Test
    void shouldRejectNonPositivePartitionsAndReplication() {
        assertThatThrownBy(() -> new TopicCatalogue("p", 0, (short) 1)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> new TopicCatalogue("p", 1, (short) 0)).hasMessageContaining("got 0");
    }
}
