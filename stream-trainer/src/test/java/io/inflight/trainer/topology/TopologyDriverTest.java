package io.inflight.trainer.topology;

import java.nio.file.Path;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the topology tests on a {@link TopologyTestDriver} share: each test starts {@link #driver}
 * (see {@link TopologyFixtures#driver}) with its state under {@link #stateDir}, and it is closed after
 * the test (after the subclass's own {@code @AfterEach} methods).
 */
abstract class TopologyDriverTest {

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;

    @AfterEach
    void closeDriver() {
        if (driver != null) {
            driver.close();
        }
    }
}
