package io.inflight.ops.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.EventValidator;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * HTTP front of a {@link ServingReplica} (Jetty core: one acceptor, one selector, a pool of
 * {@link Options#threads()} workers):
 * <ul>
 *   <li>{@code POST /score} with {@code {"features":{"site":"a","tags":["x","y"]},"numeric":{"price":3.5}}}
 *       ({@code numeric} optional) → {@code {"p":0.12,"logit":-1.9,"features":3,"rows_found":2}};</li>
 *   <li>{@code GET /status} → rows, shared rows (H) and how many of them are held, updates applied,
 *       dense model version, freshness percentiles.</li>
 * </ul>
 * The event a request describes is checked by the trainer's {@link EventValidator} under the trainer's
 * {@link EventLimits}: a request the trainer would dead-letter gets 400 with the same reason code.
 * Every error is JSON {@code {"error":"..."}}: 400 bad event, 404 unknown path, 405 wrong method,
 * 408 body not received within {@link Options#readTimeoutMs()}, 413 body over {@link Options#maxBodyBytes()}.
 * Bodies are read without holding a worker thread (a client sending one byte a second costs a
 * connection, not a thread). Daemon threads; close it to free the port.
 */
public final class ServeEndpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();

    /**
     * Server settings.
     *
     * @param threads       worker threads (the acceptor and selector threads come on top)
     * @param backlog       accept queue length of the listening socket (the kernel caps it at somaxconn)
     * @param readTimeoutMs most time from the request's headers to the end of its body
     * @param idleTimeoutMs a connection with no bytes in either direction for this long is closed
     * @param maxBodyBytes  longest /score body; longer gets 413
     * @param limits        the trainer's event limits, checked by its {@link EventValidator}
     */
    public record Options(String host, int port, int threads, int backlog, long readTimeoutMs, long idleTimeoutMs,
                          int maxBodyBytes, EventLimits limits) {

        public static final int DEFAULT_THREADS = 32;
        public static final int DEFAULT_BACKLOG = 1024;
        public static final long DEFAULT_READ_TIMEOUT_MS = 10_000;
        public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
        public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

        public Options {
            validate(host, port, threads, backlog, readTimeoutMs, idleTimeoutMs, maxBodyBytes);
            if (limits == null) {
                throw new IllegalArgumentException("event limits are required");
            }
        }

        /** Throws {@link IllegalArgumentException} naming the {@code serve} option of the first bad value. */
        public static void validate(String host, int port, int threads, int backlog, long readTimeoutMs,
                                    long idleTimeoutMs, int maxBodyBytes) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("--port must be in [0, 65535] (0: any free port), got " + port);
            }
            if (threads < 1 || threads > 4_096) {
                throw new IllegalArgumentException("--threads must be in [1, 4096], got " + threads);
            }
            if (backlog < 1 || backlog > 65_535) {
                throw new IllegalArgumentException("--backlog must be in [1, 65535], got " + backlog);
            }
            if (readTimeoutMs < 1) {
                throw new IllegalArgumentException("--read-timeout-ms must be >= 1, got " + readTimeoutMs);
            }
            if (idleTimeoutMs < 1) {
                throw new IllegalArgumentException("--idle-timeout-ms must be >= 1, got " + idleTimeoutMs);
            }
            if (maxBodyBytes < 1) {
                throw new IllegalArgumentException("--max-body-bytes must be >= 1, got " + maxBodyBytes);
            }
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("--host must be an address, got '" + host + "'");
            }
        }

        /** The defaults on {@code host:port} with the trainer's default limits. */
        public static Options defaults(String host, int port) {
            return new Options(host, port, DEFAULT_THREADS, DEFAULT_BACKLOG, DEFAULT_READ_TIMEOUT_MS,
                    DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, EventLimits.DEFAULTS);
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final ServingReplica replica;
    private final Options options;
    private final EventValidator validator;
    private volatile ServeMeters meters;

    /** {@link Options#defaults} on {@code host:port}. */
    public ServeEndpoint(String host, int port, ServingReplica replica) {
        this(replica, Options.defaults(host, port));
    }

    public ServeEndpoint(ServingReplica replica, Options options) {
        this.replica = replica;
        this.options = options;
        this.validator = new EventValidator(options.limits());
        QueuedThreadPool pool = new QueuedThreadPool(options.threads() + 2, Math.min(options.threads() + 2, 8));
        pool.setName("inflight-serve");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        server = new Server(pool, new ScheduledExecutorScheduler("inflight-serve-timer", true), null);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setAcceptQueueSize(options.backlog());
        connector.setIdleTimeout(options.idleTimeoutMs());
        server.addConnector(connector);
        server.setHandler(new Routes());
        server.setErrorHandler(new JsonErrors());
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** Times every /score request from now on in {@code meters}. */
    public void meters(ServeMeters meters) {
        this.meters = meters;
    }

    public Options options() {
        return options;
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            if ("/score".equals(path)) {
                if (!"POST".equals(method)) {
                    response.getHeaders().put(HttpHeader.ALLOW, "POST");
                    reply(response, callback, 405, error(method + " /score: POST a JSON event to /score"));
                } else {
                    ServeMeters m = meters;
                    long started = System.nanoTime();
                    new BodyRead(request, response, m == null ? callback
                            : Callback.from(callback, () -> m.request(response.getStatus(), System.nanoTime() - started))).start();
                }
            } else if ("/status".equals(path)) {
                if (!"GET".equals(method)) {
                    response.getHeaders().put(HttpHeader.ALLOW, "GET");
                    reply(response, callback, 405, error(method + " /status: GET /status"));
                } else {
                    reply(response, callback, 200, status());
                }
            } else {
                reply(response, callback, 404, error("no such path " + path + " (POST /score, GET /status)"));
            }
            return true;
        }
    }

    /**
     * Reads a /score body without blocking a thread: reads what has arrived, then asks to be called
     * again when more does; a timer answers 408 when the body is not complete in time.
     */
    private final class BodyRead implements Runnable {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final AtomicBoolean answered = new AtomicBoolean();
        private ByteArrayOutputStream body;
        private Scheduler.Task deadline;

        BodyRead(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        void start() {
            long declared = request.getLength();
            if (declared > options.maxBodyBytes()) {
                answer(413, tooLarge(declared));
                return;
            }
            body = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256);
            deadline = request.getComponents().getScheduler().schedule(() -> answer(408, error(
                    "request body not received within " + options.readTimeoutMs() + " ms (--read-timeout-ms)")),
                    options.readTimeoutMs(), TimeUnit.MILLISECONDS);
            run();
        }

        @Override
        public void run() {
            while (!answered.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    Throwable f = chunk.getFailure();
                    if (f instanceof TimeoutException) {
                        answer(408, error("request body not received: idle for " + options.idleTimeoutMs()
                                + " ms (--idle-timeout-ms)"));
                    } else {
                        answer(400, error("cannot read the request body: " + f));
                    }
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                if ((long) body.size() + b.remaining() > options.maxBodyBytes()) {
                    chunk.release();
                    answer(413, tooLarge(-1));
                    return;
                }
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                body.write(bytes, 0, bytes.length);
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    score(body.toByteArray());
                    return;
                }
            }
        }

        private void score(byte[] bytes) {
            String out;
            int status;
            try {
                ClickEvent event = parse(bytes, options.limits());
                validator.validate(event, System.currentTimeMillis());
                ServingModel.Score s = replica.model().score(event);
                status = 200;
                out = String.format(Locale.ROOT, "{\"p\":%s,\"logit\":%s,\"features\":%d,\"rows_found\":%d}",
                        s.p(), s.logit(), s.features(), s.rowsFound());
            } catch (MalformedEventException e) {
                status = 400;
                out = "{\"error\":" + quote(e.getMessage()) + ",\"reason\":" + quote(e.reason().code()) + "}";
            } catch (IllegalArgumentException e) {
                status = 400;
                out = error(e.getMessage());
            }
            answer(status, out);
        }

        private String tooLarge(long declared) {
            return error("request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
                    + "is over the limit of " + options.maxBodyBytes() + " bytes (--max-body-bytes)");
        }

        /** Answers once: whichever of the body, the deadline or an error comes first. */
        private void answer(int status, String json) {
            if (answered.compareAndSet(false, true)) {
                if (deadline != null) {
                    deadline.cancel();
                }
                reply(response, callback, status, json);
            }
        }
    }

    /** Jetty's own errors (a malformed request line, headers too large...) as JSON too. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = response.getStatus() >= 400 ? response.getStatus() : 500;
            Object message = request.getAttribute(ERROR_MESSAGE);
            reply(response, callback, status, error(message != null ? message.toString() : HttpStatus.getMessage(status)));
            return true;
        }
    }

    private String status() {
        long[] lag = replica.lagPercentiles();
        return String.format(Locale.ROOT,
                "{\"rows\":%d,\"shared_rows\":%d,\"shared_rows_held\":%d,\"updates_applied\":%d,\"dense_version\":%d,"
                        + "\"last_update_ms\":%d,\"freshness_ms\":{\"p50\":%d,\"p99\":%d,\"max\":%d},\"healthy\":%b}",
                replica.model().rows(), replica.model().sharedRows(), replica.model().sharedRowsHeld(), replica.applied(), replica.model().denseVersion(), replica.lastUpdateTimestamp(),
                lag[0], lag[1], lag[2], replica.failure() == null);
    }

    /** The trainer's default limits; see {@link #parse(byte[], EventLimits)}. */
    static ClickEvent parse(byte[] body) {
        return parse(body, EventLimits.DEFAULTS);
    }

    /**
     * {@code {"features":{name: value | [values]}, "numeric":{name: number}}} → an event ({@code numeric}
     * optional; label 0 and the current time: they are not used for scoring). Only the shape is checked
     * here (a value is a string, number or boolean; no nulls, objects or nested arrays; no other keys) and
     * strings against {@link EventLimits#maxStringBytes()} as the trainer's codecs do while decoding; the
     * rules on the event itself are {@link EventValidator}'s.
     *
     * @throws MalformedEventException with the trainer's reason code
     */
    static ClickEvent parse(byte[] body, EventLimits limits) {
        if (body.length == 0) {
            throw new MalformedEventException(RejectReason.EMPTY, "empty body: expected {\"features\":{...}}");
        }
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw syntax("expected {\"features\":{...}}");
            }
            List<ClickEvent.Field> fields = null;
            List<ClickEvent.Numeric> numerics = List.of();
            boolean numericSeen = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                if ("features".equals(key) && fields == null) {
                    fields = features(p, t, limits);
                } else if ("numeric".equals(key) && !numericSeen) {
                    numericSeen = true;
                    numerics = numerics(p, t, limits);
                } else {
                    throw syntax("unexpected key '" + key + "' (expected \"features\" once and \"numeric\" at most once)");
                }
            }
            if (p.nextToken() != null) {
                throw syntax("unexpected content after the JSON object");
            }
            if (fields == null) {
                throw syntax("expected {\"features\":{...}}");
            }
            return new ClickEvent(null, System.currentTimeMillis(), 0, fields, numerics);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            throw syntax("body is not JSON: " + (msg == null ? e.toString() : msg.lines().findFirst().orElse("")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<ClickEvent.Field> features(JsonParser p, JsonToken t, EventLimits limits) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw syntax("\"features\" must be an object {name: value or [values]}, got " + describe(t));
        }
        List<ClickEvent.Field> fields = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = checked(p.currentName(), "feature name", limits);
            JsonToken v = p.nextToken();
            List<String> values = new ArrayList<>(v == JsonToken.START_ARRAY ? 4 : 1);
            if (v == JsonToken.START_ARRAY) {
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    values.add(checked(scalar(p, e, name, " in its list"), "a value of feature '" + name + "'", limits));
                }
            } else {
                values.add(checked(scalar(p, v, name, ""), "the value of feature '" + name + "'", limits));
            }
            fields.add(new ClickEvent.Field(name, values));
        }
        return fields;
    }

    private static List<ClickEvent.Numeric> numerics(JsonParser p, JsonToken t, EventLimits limits) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_OBJECT) {
            throw syntax("expected \"numeric\":{name: number, ...}, got " + describe(t));
        }
        List<ClickEvent.Numeric> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = checked(p.currentName(), "numeric field name", limits);
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
                throw new MalformedEventException(RejectReason.BAD_SYNTAX,
                        "numeric field '" + name + "' must be a finite number, got " + describe(v));
            }
            out.add(new ClickEvent.Numeric(name, p.getDoubleValue()));
        }
        return out;
    }

    private static String scalar(JsonParser p, JsonToken t, String field, String where) throws IOException {
        return switch (t) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> p.getText();
            default -> throw syntax("feature '" + field + "' has " + describe(t) + where
                    + ": a value is a string, number or boolean, and a feature is one value or a list of values"
                    + (t == JsonToken.VALUE_NULL ? " (leave a missing feature out)" : ""));
        };
    }

    /** The string bound of the trainer's codecs ({@link EventLimits#maxStringBytes()}, UTF-8 bytes). */
    private static String checked(String s, String what, EventLimits limits) {
        if (s.length() * 3 > limits.maxStringBytes()) {
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limits.maxStringBytes()) {
                throw new MalformedEventException(RejectReason.STRING_TOO_LONG,
                        what + " has " + bytes + " bytes, more than the limit of " + limits.maxStringBytes()
                                + " (inflight.limits.max.string.bytes)");
            }
        }
        return s;
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_NULL -> "null";
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            default -> String.valueOf(t);
        };
    }

    private static MalformedEventException syntax(String detail) {
        return new MalformedEventException(RejectReason.BAD_SYNTAX, detail);
    }

    private static String error(String message) {
        return "{\"error\":" + quote(message) + "}";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(String.valueOf(s));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void reply(Response response, Callback callback, int status, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, ByteBuffer.wrap(b), callback);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the HTTP server: " + e.getMessage(), e);
        }
    }
}
