package io.inflight.ops.cli;

import io.inflight.ops.generate.EventSink;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.generate.TsvFileSink;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate a reproducible synthetic click stream with a hidden teacher model, "
                + "to a TSV file (.gz compresses) or to the clicks topic. Prints the teacher's own AUC: the ceiling."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"-n", "--events"}, defaultValue = "100000", description = "Events to generate (default: ${DEFAULT-VALUE}).")
    long events;

    @Mixin
    GeneratorOptions generator;

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write TSV to FILE (gzip if it ends in .gz).")
        Path out;

        @Option(names = "--topic", description = "Write to <prefix>.clicks on --bootstrap-servers.")
        boolean topic;
    }

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() {
        GeneratorSpec spec = generator.spec(events);
        EventSink sink;
        String where;
        if (target.topic) {
            if (!config.hasBootstrap()) {
                throw new IllegalArgumentException("--topic needs --bootstrap-servers (start one with 'inflight broker')");
            }
            InflightConfig cfg = config.resolve(null);
            TrainerApp.ensureTopics(cfg);
            where = cfg.topics().clicks() + " on " + cfg.bootstrapServers();
            sink = new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks());
        } else {
            where = target.out.toString();
            sink = new TsvFileSink(target.out);
        }
        System.out.printf(Locale.ROOT, "Generating %,d events (%d fields, zipf %s, seed %d) to %s%n",
                events, spec.fields(), spec.zipfExponents(), spec.seed(), where);
        ProgressiveMetrics.Summary teacher = Generation.run(spec, sink, System.out);
        System.out.printf(Locale.ROOT, "Teacher (ceiling): AUC %.4f, logloss %.4f, click rate %.4f%n",
                teacher.auc(), teacher.logLoss(), teacher.clickRate());
        return 0;
    }
}
