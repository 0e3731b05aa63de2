package io.inflight.ops.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.topics.EventLimits;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModels;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTTP front on port 0: validation like the trainer, JSON errors, bounded bodies, slow clients. */
@Timeout(60)
class ServeEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BatchSettings SETTINGS = new BatchSettings("fm", List.of("a", "b"), 4, 16, List.of(), "relu",
            "adam", 0.01, 0.05, 1e-6, 0.01, 7, 0);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private ServeEndpoint endpoint;

    private ServeEndpoint start(int threads, long readTimeoutMs, int maxBodyBytes) {
        ServingModel model = new ServingModel(SETTINGS, BatchModels::create);
        model.apply(ModelUpdateCodec.rowKey(0, FeatureKeys.key("a", "a1")),
                ModelUpdateCodec.row(0.5f, new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 0, 4, 1, 32));
        model.apply(ModelUpdateCodec.sharedKey(0, 1), ModelUpdateCodec.sharedChunk(1, 16, 4, 8, 3, new float[15], 0));
        endpoint = new ServeEndpoint(ServingReplica.detached(model), new ServeEndpoint.Options("127.0.0.1", 0, threads,
                64, readTimeoutMs, 30_000, maxBodyBytes, EventLimits.DEFAULTS));
        return endpoint;
    }

    @AfterEach
    void close() {
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
                .timeout(Duration.ofSeconds(30)).method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Status {@code status} with a JSON {"error": "..."} body containing every fragment. */
    private void assertError(HttpResponse<String> r, int status, String... fragments) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error).as(r.body()).isNotNull();
        assertThat(error.isTextual()).isTrue();
        for (String f : fragments) {
            assertThat(error.asText()).contains(f);
        }
    }

    @Test
    void shouldScoreAValidEvent() throws Exception {
        start(4, 10_000, 1 << 20);
        HttpResponse<String> r = send("POST", "/score", "{\"features\":{\"a\":\"a1\",\"b\":[\"x\",\"y\"]}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode score = JSON.readTree(r.body());
        assertThat(score.get("features").asInt()).isEqualTo(3);
        assertThat(score.get("rows_found").asInt()).isEqualTo(1);
        assertThat(score.get("p").asDouble()).isBetween(0.0, 1.0);
        HttpResponse<String> status = send("GET", "/status", null);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(status.body()).get("rows").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(status.body()).get("shared_rows").asInt()).isEqualTo(16);
        assertThat(JSON.readTree(status.body()).get("shared_rows_held").asInt()).isEqualTo(3);
    }

    @Test
    void shouldRejectWhatTheTrainerWouldDeadLetterWith400() throws Exception {
        start(4, 10_000, 1 << 20);
        assertError(send("POST", "/score", "{\"features\":{\"a\":null}}"), 400, "bad-syntax", "'a'", "null");
        assertError(send("POST", "/score", "{\"features\":{\"a\":[\"x\",null]}}"), 400, "'a'", "null");
        assertError(send("POST", "/score", "{\"features\":{\"a\":[[\"x\"]]}}"), 400, "'a'", "a list in its list");
        assertError(send("POST", "/score", "{\"features\":{\"a\":{\"x\":1}}}"), 400, "'a'", "an object");
        StringBuilder many = new StringBuilder("{\"features\":{\"a\":[");
        for (int i = 0; i < 100_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"v\"");
        }
        many.append("]}}");
        assertError(send("POST", "/score", many.toString()), 400, "too-many-features", "100000",
                String.valueOf(EventLimits.DEFAULTS.maxFeatures()));
        String longValue = "x".repeat(EventLimits.DEFAULTS.maxStringBytes() + 1);
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"" + longValue + "\"}}"), 400, "string-too-long",
                "feature 'a'");
        assertError(send("POST", "/score", "{\"features\":{\"" + longValue + "\":\"x\"}}"), 400, "string-too-long");
        assertError(send("POST", "/score", "{\"features\":{}}"), 400, "no-features");
        assertError(send("POST", "/score", "{\"features\":{\"\":\"x\"}}"), 400, "empty-name");
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"x\",\"a\":\"y\"}}"), 400, "duplicate-field", "'a'");
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"x\"},\"numeric\":{\"x\":1e400}}"), 400, "non-finite");
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"x\"},\"numeric\":{\"x\":\"high\"}}"), 400, "'x'",
                "finite number");
        assertError(send("POST", "/score", "{not json"), 400, "not JSON");
        assertError(send("POST", "/score", ""), 400, "empty");
        assertError(send("POST", "/score", "[1]"), 400, "features");
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"x\"},\"label\":1}"), 400, "'label'");
        assertError(send("POST", "/score", "{\"features\":{\"a\":\"x\"}} trailing"), 400);
        // the server is still fine
        assertThat(send("POST", "/score", "{\"features\":{\"a\":\"a1\"}}").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswerWrongMethodsAndUnknownPathsWithJson4xx() throws Exception {
        start(4, 10_000, 1 << 20);
        HttpResponse<String> postStatus = send("POST", "/status", "{}");
        assertError(postStatus, 405, "GET /status");
        assertThat(postStatus.headers().firstValue("Allow")).hasValue("GET");
        assertError(send("GET", "/score", null), 405, "POST");
        assertError(send("PUT", "/score", "{}"), 405, "POST");
        assertError(send("POST", "/score/extra", "{\"features\":{\"a\":\"x\"}}"), 404, "/score/extra");
        assertError(send("GET", "/nope", null), 404, "/nope");
        assertError(send("GET", "/", null), 404);
    }

    @Test
    void shouldBoundTheBodySize() throws Exception {
        start(4, 10_000, 1_000);
        String big = "{\"features\":{\"a\":\"" + "x".repeat(500) + "\",\"b\":\"" + "y".repeat(600) + "\"}}";
        assertError(send("POST", "/score", big), 413, "1000");
        // without a Content-Length (chunked): counted while reading
        HttpResponse<String> chunked = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port()
                + "/score")).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                big.getBytes(StandardCharsets.UTF_8)))).build(), HttpResponse.BodyHandlers.ofString());
        assertError(chunked, 413, "1000");
        assertThat(send("POST", "/score", "{\"features\":{\"a\":\"a1\"}}").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswerOthersWhileAClientStallsInItsBody() throws Exception {
        start(1, 2_000, 1 << 20); // one worker: a reader that held it would block every other request
        String body = "{\"features\":{\"a\":\"a1\",\"b\":\"b1\"}}";
        try (Socket slow = new Socket("127.0.0.1", endpoint.port())) {
            slow.setSoTimeout(30_000);
            OutputStream out = slow.getOutputStream();
            out.write(("POST /score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body.substring(0, body.length() / 2)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < 3; i++) { // answered while the slow body is pending
                HttpResponse<String> other = send("POST", "/score", body);
                assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
                assertThat(JSON.readTree(other.body()).get("features").asInt()).isEqualTo(2);
                assertThat(send("GET", "/status", null).statusCode()).isEqualTo(200);
            }
            // the stalled request itself gets 408 once --read-timeout-ms has passed, then the connection closes
            InputStream in = slow.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"error\"").contains("--read-timeout-ms");
        }
    }
}
