package dev.improv.server.transport;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer over the decoders a peer reaches: WebSocket frames of room and lobby connections (through the inbound
 * decoder in an EmbeddedChannel) and the admin API's request bodies (the strict record decoding of the route
 * table). The property is {@link DecoderProperties#check}.
 *
 * <p>Tagged {@code fuzz}: neither surefire nor the main failsafe run takes it; failsafe's own {@code fuzz}
 * execution runs it in a JVM of its own with {@code JAZZER_FUZZ=1}, for {@code maxDuration} in {@code mvn verify}.
 * Longer on demand (see docs/operations.md): {@code -Djazzer.max_duration=10m}. Jazzer writes an input that fails to
 * {@code src/test/resources/dev/improv/server/transport/DecoderFuzzTestInputs/decoders/crash-*}; that folder (the
 * seeds and every kept finding) is replayed by {@link DecoderRegressionTest} in every {@code mvn test}.
 */
@Tag("fuzz")
class DecoderFuzzTest {
    @FuzzTest(maxDuration = "8s")
    void decoders(byte[] input) {
        DecoderProperties.check(input);
    }
}
