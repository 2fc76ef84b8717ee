package dev.improv.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A member's replay reads the room's subject with the takeover's growing patience (1 s, 2 s, 5 s per request),
 * asking again at once when a read times out, instead of one read that waits 5 s on a request JetStream never
 * answers (sent during a leader election). Unit test of the attempt loop; the reads themselves are the cluster
 * tests'.
 */
class RoomStreamPatienceTest {
    @Test
    void aReadThatTimesOutIsAskedAgainWithMorePatienceAndItsAnswerIsUsed() throws Exception {
        List<Duration> asked = new ArrayList<>();
        String answer = RoomStream.withGrowingPatience(patience -> {
            asked.add(patience);
            if (asked.size() < 3) {
                throw new IOException("Timeout or no response waiting for NATS JetStream server");
            }
            return "read";
        });
        assertEquals("read", answer);
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)), asked);
        assertEquals(ClusterNode.REQUEST_TIMEOUTS, asked, "the takeover's steps, not a second list");
    }

    @Test
    void theFirstAnswerEndsIt() throws Exception {
        List<Duration> asked = new ArrayList<>();
        RoomStream.withGrowingPatience(patience -> asked.add(patience));
        assertEquals(List.of(Duration.ofSeconds(1)), asked);
    }

    @Test
    void whenEveryAttemptTimesOutTheFirstFailureIsReportedWithTheOthers() {
        List<IOException> thrown = new ArrayList<>();
        IOException e = assertThrows(IOException.class, () -> RoomStream.withGrowingPatience(patience -> {
            IOException timeout = new IOException("timed out after " + patience.toMillis() + " ms");
            thrown.add(timeout);
            throw timeout;
        }));
        assertEquals(3, thrown.size(), "bounded: one attempt per step");
        assertSame(thrown.get(0), e);
        assertEquals(List.of(thrown.get(1), thrown.get(2)), List.of(e.getSuppressed()));
    }

    @Test
    void aRefusalIsNotAskedAgain() {
        List<Duration> asked = new ArrayList<>();
        JetStreamApiException refused = new JetStreamApiException(io.nats.client.api.Error.JsBadRequestErr);
        JetStreamApiException e = assertThrows(JetStreamApiException.class,
                () -> RoomStream.withGrowingPatience(patience -> {
                    asked.add(patience);
                    throw refused;
                }));
        assertSame(refused, e);
        assertEquals(1, asked.size());
    }
}
