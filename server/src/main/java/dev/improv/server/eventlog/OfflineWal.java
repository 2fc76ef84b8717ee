package dev.improv.server.eventlog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a data directory's write-ahead log without a running server and without changing it (no tail is cut):
 * the events of one session, for tools and tests that look at a log left by a crash. Blocking I/O.
 */
public final class OfflineWal {
    private OfflineWal() {
    }

    /** The session's events in log order, checked like {@link SessionLogReader} checks a file. */
    public static SessionLogReader.ReadResult read(Path dataDir, String sessionId) throws IOException {
        List<SessionLogReader.LogEvent> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        long[] expected = {1};
        WalSegments.ScanResult scan;
        try (WalSegments segments = new WalSegments(dataDir)) {
            scan = segments.scan((record, position) -> {
                if (record.type() != WalRecord.Type.EVENT || !record.key().equals(sessionId)) {
                    return;
                }
                ObjectNode json = (ObjectNode) ProtocolCodec.mapper().readTree(record.body());
                if (record.seq() != expected[0] && !(record.seq() > expected[0]
                        && SessionLogReader.declaresSkip(json, expected[0], record.seq()))) {
                    problems.add("seq " + record.seq() + " where " + expected[0] + " was expected");
                }
                expected[0] = record.seq() + 1;
                events.add(new SessionLogReader.LogEvent(record.seq(), json));
            }, false);
        }
        return new SessionLogReader.ReadResult(events, scan.cutBytes() > 0 || !scan.problems().isEmpty(), problems,
                0);
    }
}
