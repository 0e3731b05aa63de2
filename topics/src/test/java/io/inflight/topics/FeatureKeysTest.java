package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FeatureKeysTest {

    @Test
    void shouldKeepKeysStableAcrossReleases() {
        // Part of the model contract: published rows and serving replicas depend on these values.
        assertThat(FeatureKeys.key("site", "a1b2")).isEqualTo(FeatureKeys.key("site", "a1b2"));
        // Golden value: changing the mapping silently orphans every stored and published row.
        assertThat(Long.toHexString(FeatureKeys.key("site", "a1b2"))).isEqualTo("3dbf89847e156ce");
        assertThat(FeatureKeys.key("site", "a1b2")).isEqualTo(FeatureKeys.mix(fnv("site\u001Fa1b2")));
    }

    @Test
    void shouldKeyByAFieldPrefixAsByTheFieldName() {
        for (String field : new String[] {"", "site", "f25", "caf\u00e9", "\ud83d\ude00x"}) {
            long prefix = FeatureKeys.fieldPrefix(field);
            for (String value : new String[] {"", "a1b2", "1", "\u00fc\u4e2d"}) {
                assertThat(FeatureKeys.key(prefix, value)).as(field + "=" + value).isEqualTo(FeatureKeys.key(field, value))
                        .isEqualTo(FeatureKeys.mix(fnv(field + "\u001F" + value)));
            }
        }
    }

    @Test
    void shouldSeparateFieldFromValue() {
        assertThat(FeatureKeys.key("ab", "c")).isNotEqualTo(FeatureKeys.key("a", "bc"));
        assertThat(FeatureKeys.key("user", "1")).isNotEqualTo(FeatureKeys.key("item", "1"));
    }

    @Test
    void shouldNotCollideOnAMillionFeatures() {
        Set<Long> keys = new HashSet<>();
        for (int i = 0; i < 1_000_000; i++) {
            keys.add(FeatureKeys.key("f" + (i % 26), Integer.toString(i)));
        }
        assertThat(keys).hasSize(1_000_000);
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }
}
