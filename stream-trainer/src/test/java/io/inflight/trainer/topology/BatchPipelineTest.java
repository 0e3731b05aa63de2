package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Where a batch's keys are worked out depends on {@link BatchPipeline#busy}: a backlog on the trainer thread. */
class BatchPipelineTest {

    @Test
    void shouldBeBusyOnlyWithAJobWaitingBehindTheOneAtWork() throws Exception {
        BatchPipeline pipeline = new BatchPipeline();
        pipeline.start("pipeline-test");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            assertThat(pipeline.busy()).as("nothing handed over").isFalse();
            long first = pipeline.nextJob();
            pipeline.submit(() -> {
                started.countDown();
                release.await();
                return new JobOutput(first, List.of());
            });
            started.await();
            assertThat(pipeline.busy()).as("one job at work, none waiting").isFalse();
            long second = pipeline.nextJob();
            pipeline.submit(() -> new JobOutput(second, List.of()));
            assertThat(pipeline.busy()).as("a job waits behind the one at work").isTrue();
            release.countDown();
            pipeline.awaitAll();
            assertThat(pipeline.busy()).as("both done").isFalse();
        } finally {
            release.countDown();
            pipeline.close(null);
        }
    }
}
