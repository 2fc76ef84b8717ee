package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionLogReaderTest {
    @TempDir
    Path dataDir;

    private SessionFiles files;
    private SessionLogReader reader;

    @BeforeEach
    void setUp() {
        files = new SessionFiles(dataDir);
        reader = new SessionLogReader(files);
    }

    private static String line(long seq) {
        return new String(Events.prompt(seq), StandardCharsets.UTF_8) + "\n";
    }

    private void write(String sessionId, String content) throws IOException {
        Path file = files.events(sessionId);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static List<Long> seqs(SessionLogReader.ReadResult result) {
        return result.events().stream().map(SessionLogReader.LogEvent::seq).toList();
    }

    @Test
    void lastLineCutMidJsonIsReportedAndSkipped() throws IOException {
        String complete = line(1) + line(2) + line(3);
        write("torn", complete + line(4).substring(0, 31));
        SessionLogReader.ReadResult result = reader.read("torn");
        assertEquals(List.of(1L, 2L, 3L), seqs(result));
        assertTrue(result.tornTail());
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().get(0).startsWith("line 4: torn last line"), result.problems().get(0));
        assertEquals(complete.length(), result.validBytes());
        assertEquals("prompt", result.events().get(2).type());
        assertEquals(Events.T0 + 3, result.events().get(2).ts());
    }

    @Test
    void completeJsonWithoutItsNewlineIsStillTorn() throws IOException {
        write("nonl", line(1) + line(2).strip());
        SessionLogReader.ReadResult result = reader.read("nonl");
        assertEquals(List.of(1L), seqs(result));
        assertTrue(result.tornTail());
    }

    @Test
    void unparsableFinalLineWithNewlineIsTorn() throws IOException {
        write("zeros", line(1) + "\0\0\0\0\0\0\n");
        SessionLogReader.ReadResult result = reader.read("zeros");
        assertEquals(List.of(1L), seqs(result));
        assertTrue(result.tornTail());
        assertEquals(line(1).length(), result.validBytes());
    }

    @Test
    void badLinesInsideTheFileAreProblemsNotATornTail() throws IOException {
        write("mid", line(1) + "{\"type\":\"prompt\",\"seq\n" + line(2) + line(2) + line(5) + line(6));
        SessionLogReader.ReadResult result = reader.read("mid");
        assertFalse(result.tornTail());
        assertEquals(List.of(1L, 2L, 5L, 6L), seqs(result));
        assertEquals(3, result.problems().size(), result.problems().toString());
        assertTrue(result.problems().get(0).startsWith("line 2: not a JSON object"));
        assertTrue(result.problems().get(1).startsWith("line 4: seq 2 repeats"));
        assertTrue(result.problems().get(2).contains("events 3..4 are missing"));
    }

    @Test
    void readFromSkipsEarlierEventsButStillChecksThem() throws IOException {
        write("from", line(1) + line(2) + line(3) + line(4));
        SessionLogReader.ReadResult result = reader.readFrom("from", 3);
        assertEquals(List.of(3L, 4L), seqs(result));
        assertEquals(List.of(), result.problems());
        assertEquals(4, result.lastSeq());
    }

    @Test
    void completeBytesLeaveTheTornTailOut() throws IOException {
        String complete = line(1) + line(2);
        write("bytes", complete + "{\"type\":\"pro");
        assertArrayEquals(complete.getBytes(StandardCharsets.UTF_8), reader.completeBytes("bytes"));
    }

    @Test
    void absentLogReadsAsEmpty() throws IOException {
        SessionLogReader.ReadResult result = reader.read("nothing");
        assertEquals(List.of(), result.events());
        assertFalse(result.tornTail());
        assertEquals(0, reader.completeBytes("nothing").length);
    }
}
