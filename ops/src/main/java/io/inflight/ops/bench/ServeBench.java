package io.inflight.ops.bench;

import io.inflight.ops.serve.ServeEndpoint;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bench serve}: the HTTP front of a serving replica under load, in one process. A replica that
 * follows no topic is filled with synthetic rows (every value of every field) and the dense parameters
 * of a freshly initialised model, then served by {@link ServeEndpoint} on 127.0.0.1; N clients (one
 * keep-alive connection each, through {@link HttpClient}) post /score requests back to back for a fixed
 * time, with and without one slow client present: a plain socket that sends its request headers, then
 * its body at one byte a second (it starts again when the server answers 408 and closes).
 */
public final class ServeBench {

    /**
     * @param clients          concurrent clients of each case
     * @param seconds          load time of each case
     * @param warmupSeconds    load at 64 clients before the first case (JIT), not reported
     * @param modelType        model served (its scoring is in the request path)
     * @param fields           categorical fields per event
     * @param vocabulary       values per field, each with a published row
     * @param dim              embedding dimension
     * @param server           the endpoint's options (host and port are ignored: 127.0.0.1, any port)
     */
    public record Options(List<Integer> clients, double seconds, double warmupSeconds, String modelType, int fields,
                          int vocabulary, int dim, ServeEndpoint.Options server) {
    }

    /** One case: latency of every answered request, from sending to the whole answer read. */
    public record Row(int clients, boolean slowClient, long requests, long errors, double requestsPerSecond, double p50Ms,
                      double p99Ms, double maxMs, String firstError, long slowBytesSent, long slowAnswers) {
    }

    /** The cases and the goals: p99 with a slow client within 2x of without; no errors at the most clients. */
    public record Result(Options options, List<Row> rows) {

        /** p99 with the slow client over p99 without, at {@code clients}; NaN when a case is missing. */
        public double p99Ratio(int clients) {
            Row with = find(clients, true);
            Row without = find(clients, false);
            return with == null || without == null ? Double.NaN : with.p99Ms() / without.p99Ms();
        }

        private Row find(int clients, boolean slow) {
            return rows.stream().filter(r -> r.clients() == clients && r.slowClient() == slow).findFirst().orElse(null);
        }

        public boolean slowClientGoalMet() {
            return options.clients().stream().allMatch(c -> p99Ratio(c) <= 2.0);
        }

        public long errors() {
            return rows.stream().mapToLong(Row::errors).sum();
        }

        public int mostClients() {
            return options.clients().stream().mapToInt(Integer::intValue).max().orElse(0);
        }

        public boolean allAnsweredAtMostClients() {
            return rows.stream().filter(r -> r.clients() == mostClients()).allMatch(r -> r.errors() == 0 && r.requests() > 0);
        }

        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%8s %6s %10s %7s %10s %9s %9s %9s%n", "clients", "slow", "requests",
                    "errors", "req/s", "p50 ms", "p99 ms", "max ms"));
            for (Row r : rows) {
                b.append(String.format(Locale.ROOT, "%8d %6s %10d %7d %10.0f %9.2f %9.2f %9.2f%n", r.clients(),
                        r.slowClient() ? "yes" : "no", r.requests(), r.errors(), r.requestsPerSecond(), r.p50Ms(), r.p99Ms(),
                        r.maxMs()));
            }
            for (int c : options.clients()) {
                b.append(String.format(Locale.ROOT, "p99 with / without the slow client at %d clients: %.2f%n", c,
                        p99Ratio(c)));
            }
            b.append(String.format(Locale.ROOT, "goal: p99 with a slow client within 2x of without: %s%n",
                    slowClientGoalMet() ? "met" : "NOT met"));
            b.append(String.format(Locale.ROOT, "goal: %d concurrent clients all answered (0 errors): %s%n", mostClients(),
                    allAnsweredAtMostClients() ? "met" : "NOT met"));
            rows.stream().filter(r -> r.firstError() != null).forEach(r -> b.append(String.format(Locale.ROOT,
                    "first error at %d clients%s: %s%n", r.clients(), r.slowClient() ? " (slow client)" : "", r.firstError())));
            return b.toString().stripTrailing();
        }

        public String json() {
            StringBuilder b = new StringBuilder();
            ServeEndpoint.Options s = options.server();
            b.append(String.format(Locale.ROOT, "{\"bench\":\"serve\",\"model\":\"%s\",\"fields\":%d,\"dim\":%d,"
                            + "\"rows_served\":%d,\"seconds\":%s,\"threads\":%d,\"backlog\":%d,\"read_timeout_ms\":%d,"
                            + "\"idle_timeout_ms\":%d,\"cases\":[", options.modelType(), options.fields(), options.dim(),
                    (long) options.fields() * options.vocabulary(), options.seconds(), s.threads(), s.backlog(),
                    s.readTimeoutMs(), s.idleTimeoutMs()));
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"clients\":%d,\"slow_client\":%b,"
                                + "\"requests\":%d,\"errors\":%d,\"requests_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                                + "\"max_ms\":%.3f,\"slow_bytes_sent\":%d,\"slow_answers\":%d}", r.clients(), r.slowClient(),
                        r.requests(), r.errors(), r.requestsPerSecond(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.slowBytesSent(),
                        r.slowAnswers()));
            }
            b.append("],\"p99_ratio\":{");
            for (int i = 0; i < options.clients().size(); i++) {
                int c = options.clients().get(i);
                double ratio = p99Ratio(c);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "\"%d\":%s", c,
                        Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.3f", ratio) : "null"));
            }
            b.append(String.format(Locale.ROOT, "},\"slow_client_p99_within_2x\":%b,\"all_answered_at_%d\":%b,\"errors\":%d}",
                    slowClientGoalMet(), mostClients(), allAnsweredAtMostClients(), errors()));
            return b.toString();
        }
    }

    private ServeBench() {
    }

    public static Result run(Options o, PrintStream progress) throws Exception {
        List<String> fieldNames = new ArrayList<>();
        for (int f = 0; f < o.fields(); f++) {
            fieldNames.add("f" + f);
        }
        BatchSettings settings = new BatchSettings(o.modelType(), fieldNames, o.dim(), 64,
                o.modelType().equals("lr") || o.modelType().equals("fm") ? List.of() : List.of(64, 64), "relu", "adam",
                0.001, 0.05, 1e-6, 0.01, 42L, 1);
        ServingModel model = fill(settings, o.vocabulary());
        List<byte[]> bodies = bodies(fieldNames, o.vocabulary(), 1024);
        ServeEndpoint.Options s = o.server();
        ServeEndpoint.Options local = new ServeEndpoint.Options("127.0.0.1", 0, s.threads(), s.backlog(), s.readTimeoutMs(),
                s.idleTimeoutMs(), s.maxBodyBytes(), s.limits());
        List<Row> rows = new ArrayList<>();
        ExecutorService clientPool = Executors.newFixedThreadPool(2, daemon("bench-serve-client"));
        try (ServingReplica replica = ServingReplica.detached(model);
             ServeEndpoint endpoint = new ServeEndpoint(replica, local)) {
            URI uri = URI.create("http://127.0.0.1:" + endpoint.port() + "/score");
            progress.printf(Locale.ROOT, "Serving %s (%d fields, D=%d, %,d rows) at %s: %d threads, backlog %d, "
                            + "read timeout %d ms; %.0f s per case%n", o.modelType(), o.fields(), o.dim(), model.rows(), uri,
                    s.threads(), s.backlog(), s.readTimeoutMs(), o.seconds());
            if (o.warmupSeconds() > 0) {
                progress.printf(Locale.ROOT, "  warm-up: 64 clients for %.0f s%n", o.warmupSeconds());
                load(uri, bodies, 64, o.warmupSeconds(), clientPool, false, endpoint.port(), bodies.get(0));
            }
            for (int clients : o.clients()) {
                for (boolean slow : new boolean[] {false, true}) {
                    Row r = load(uri, bodies, clients, o.seconds(), clientPool, slow, endpoint.port(), bodies.get(0));
                    rows.add(r);
                    progress.printf(Locale.ROOT, "  %4d clients%s: %,d requests, %d errors, %,.0f req/s, p50 %.2f ms, "
                                    + "p99 %.2f ms%n", clients, slow ? " + 1 slow" : "", r.requests(), r.errors(),
                            r.requestsPerSecond(), r.p50Ms(), r.p99Ms());
                }
            }
        } finally {
            clientPool.shutdownNow();
        }
        return new Result(o, rows);
    }

    /** Every value of every field published as a row, and the dense parameters of a new model. */
    private static ServingModel fill(BatchSettings settings, int vocabulary) {
        ServingModel serving = new ServingModel(settings, BatchModels::create);
        SplittableRandom r = new SplittableRandom(7);
        float[] emb = new float[settings.dim()];
        for (String field : settings.fields()) {
            for (int v = 0; v < vocabulary; v++) {
                for (int j = 0; j < emb.length; j++) {
                    emb[j] = (float) (r.nextGaussian() * 0.1);
                }
                serving.apply(ModelUpdateCodec.rowKey(0, FeatureKeys.key(field, "v" + v)),
                        ModelUpdateCodec.row((float) (r.nextGaussian() * 0.1), emb, 0, emb.length, 1, 32));
            }
        }
        try (BatchModel m = BatchModels.create(settings)) {
            float[] dense = new float[m.denseSize()];
            m.exportDense(dense);
            int n = m.parameterCount();
            if (n > 0) {
                serving.apply(ModelUpdateCodec.denseKey(0, 0), ModelUpdateCodec.dense(1, dense, 0, n, n));
            }
        }
        return serving;
    }

    private static List<byte[]> bodies(List<String> fields, int vocabulary, int n) {
        SplittableRandom r = new SplittableRandom(11);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder("{\"features\":{");
            for (int f = 0; f < fields.size(); f++) {
                b.append(f == 0 ? "" : ",").append('"').append(fields.get(f)).append("\":\"v").append(r.nextInt(vocabulary))
                        .append('"');
            }
            out.add(b.append("}}").toString().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** One client's requests, back to back; its own latencies (one chain of callbacks touches them). */
    private static final class Client {
        long[] latencies = new long[1024];
        int count;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        void add(long nanos) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = nanos;
        }
    }

    private static Row load(URI uri, List<byte[]> bodies, int clients, double seconds, ExecutorService pool, boolean slow,
                            int port, byte[] slowBody) throws Exception {
        SlowClient slowClient = slow ? new SlowClient(port, slowBody) : null;
        if (slowClient != null) {
            slowClient.start();
            Thread.sleep(1_500); // headers and the first bytes of its body are in before the load starts
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool)
                .connectTimeout(Duration.ofSeconds(30)).build();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Client> all = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int c = 0; c < clients; c++) {
            Client client = new Client();
            all.add(client);
            next(http, uri, bodies, c, client, end, errors, firstError);
        }
        try {
            CompletableFuture.allOf(all.stream().map(c -> c.done).toArray(CompletableFuture[]::new))
                    .get((long) seconds + 120, TimeUnit.SECONDS);
        } finally {
            if (slowClient != null) {
                slowClient.stop();
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        int total = all.stream().mapToInt(c -> c.count).sum();
        long[] lat = new long[total];
        int at = 0;
        for (Client c : all) {
            System.arraycopy(c.latencies, 0, lat, at, c.count);
            at += c.count;
        }
        Arrays.sort(lat);
        return new Row(clients, slow, total + errors.get(), errors.get(), total / elapsed, percentile(lat, 0.50),
                percentile(lat, 0.99), total == 0 ? Double.NaN : lat[total - 1] / 1e6, firstError.get(),
                slowClient == null ? 0 : slowClient.bytesSent.get(), slowClient == null ? 0 : slowClient.answers.get());
    }

    private static void next(HttpClient http, URI uri, List<byte[]> bodies, int index, Client client, long end,
                             AtomicLong errors, AtomicReference<String> firstError) {
        long t0 = System.nanoTime();
        if (t0 >= end) {
            client.done.complete(null);
            return;
        }
        byte[] body = bodies.get((index + client.count) % bodies.size());
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, failure) -> {
            long t = System.nanoTime() - t0;
            if (failure != null || response.statusCode() != 200) {
                errors.incrementAndGet();
                firstError.compareAndSet(null, failure != null ? String.valueOf(failure)
                        : response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
            } else {
                client.add(t);
            }
            next(http, uri, bodies, index, client, end, errors, firstError);
        });
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    /** A client that sends its headers, then its body one byte a second; starts again when answered. */
    private static final class SlowClient {
        private final int port;
        private final byte[] body;
        private final Thread thread;
        private final AtomicLong bytesSent = new AtomicLong();
        private final AtomicLong answers = new AtomicLong();
        private volatile boolean running = true;
        private volatile Socket socket;

        SlowClient(int port, byte[] body) {
            this.port = port;
            this.body = body;
            this.thread = new Thread(this::loop, "bench-serve-slow-client");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            while (running) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    socket = s;
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = s.getInputStream();
                    for (int i = 0; i < body.length && running; i++) {
                        out.write(body[i]);
                        out.flush();
                        bytesSent.incrementAndGet();
                        Thread.sleep(1_000);
                        if (in.available() > 0) {
                            break; // answered (408 after the read timeout): start again
                        }
                    }
                    if (running) {
                        s.setSoTimeout(5_000);
                        if (in.read() >= 0) {
                            answers.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    // closed by the server (or by stop): start again while running
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            thread.join(5_000);
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
