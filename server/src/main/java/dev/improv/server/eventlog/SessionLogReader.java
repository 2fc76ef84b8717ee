package dev.improv.server.eventlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and checks session logs. Every line must be one complete JSON object whose {@code seq} is the previous
 * line's plus one. A torn last line (no newline at the end, or a final line that does not parse: what a crash in
 * the middle of a write leaves) is reported and skipped, never joined to anything else.
 *
 * <p>All methods do blocking file I/O: callers run them on a thread of their own (the export executor, a
 * command-line tool), never on a Netty I/O thread or a room's owner thread.
 */
public final class SessionLogReader {
    private static final int TAIL_CHUNK = 8192;

    private final SessionFiles files;

    public SessionLogReader(SessionFiles files) {
        this.files = files;
    }

    /** One event line: its seq and its parsed JSON. */
    public record LogEvent(long seq, ObjectNode json) {
        public String type() {
            return json.path("type").asText();
        }

        public long ts() {
            return json.path("ts").asLong();
        }
    }

    /**
     * What a log held.
     *
     * @param events      every valid event, in file order
     * @param tornTail    the last line was torn (incomplete or unparsable) and was skipped
     * @param problems    one sentence per line skipped or out of sequence, with its line number
     * @param validBytes  length of the file up to and including the last line that is not torn
     */
    public record ReadResult(List<LogEvent> events, boolean tornTail, List<String> problems, long validBytes) {
        public ReadResult {
            events = List.copyOf(events);
            problems = List.copyOf(problems);
        }

        public long lastSeq() {
            return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
        }
    }

    /** Reads the whole log of a session; an absent log reads as empty. */
    public ReadResult read(String sessionId) throws IOException {
        return read(files.events(sessionId), 1);
    }

    /** Events with {@code seq >= fromSeq} (for late recorders and resuming from the log). */
    public ReadResult readFrom(String sessionId, long fromSeq) throws IOException {
        return read(files.events(sessionId), fromSeq);
    }

    /** The log's bytes without a torn tail: what the export serves as JSONL. */
    public byte[] completeBytes(String sessionId) throws IOException {
        Path path = files.events(sessionId);
        try (FileChannel channel = FileChannel.open(path)) {
            long keep = completeLength(channel);
            if (keep > Integer.MAX_VALUE - 16) {
                throw new IOException("session log too large to serve in one response: " + keep + " bytes");
            }
            ByteBuffer out = ByteBuffer.allocate((int) keep);
            while (out.hasRemaining() && channel.read(out, out.position()) >= 0) {
                // read until full
            }
            return out.array();
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }

    /**
     * Whether {@code event} (with {@code seq}, where {@code expected} was due) is the {@code server_restarted} that
     * names exactly the seqs skipped before it ({@code skippedFrom}..{@code skippedTo}): seqs reserved before a
     * crash that no event has. That is the only gap a session may have; nothing is missing there.
     */
    static boolean declaresSkip(ObjectNode event, long expected, long seq) {
        return event.path("type").asText().equals("server_restarted") && event.path("skippedFrom").asLong() == expected
                && event.path("skippedTo").asLong() == seq - 1;
    }

    /** Reads a log file, keeping events with {@code seq >= fromSeq}; checks every line. */
    public static ReadResult read(Path file, long fromSeq) throws IOException {
        List<LogEvent> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        long expected = 1;
        long offset = 0;
        long validBytes = 0;
        boolean torn = false;
        int lineNo = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            LineBuffer line = new LineBuffer();
            while (line.next(in)) {
                lineNo++;
                offset += line.length + (line.terminated ? 1 : 0);
                ObjectNode json = parse(line.bytes, line.length);
                if (!line.terminated || (json == null && line.atEnd(in))) {
                    torn = true;
                    problems.add("line " + lineNo + ": torn last line (" + line.length + " bytes"
                            + (line.terminated ? ", not valid JSON" : ", no newline") + ") skipped");
                    break;
                }
                validBytes = offset;
                if (json == null) {
                    problems.add("line " + lineNo + ": not a JSON object with a numeric seq, skipped");
                    continue;
                }
                long seq = json.get("seq").asLong();
                if (seq < expected) {
                    problems.add("line " + lineNo + ": seq " + seq + " repeats or goes back (expected " + expected
                            + "), skipped");
                    continue;
                }
                if (seq > expected && !declaresSkip(json, expected, seq)) {
                    problems.add("line " + lineNo + ": seq " + seq + " follows " + (expected - 1) + ": events "
                            + expected + ".." + (seq - 1) + " are missing");
                }
                expected = seq + 1;
                if (seq >= fromSeq) {
                    events.add(new LogEvent(seq, json));
                }
            }
        } catch (NoSuchFileException e) {
            return new ReadResult(List.of(), false, List.of(), 0);
        }
        return new ReadResult(events, torn, problems, validBytes);
    }

    /**
     * Length of the file without its torn last line: the end of the last newline-terminated line, and before
     * that line too when it does not parse. The writer cuts an existing file to this length before appending.
     */
    public static long completeLength(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0) {
            return 0;
        }
        long lastNewline = lastIndexOfNewline(channel, size);
        if (lastNewline < size - 1) {
            return lastNewline + 1; // bytes after the final newline: a torn write
        }
        long previousNewline = lastIndexOfNewline(channel, size - 1);
        long start = previousNewline + 1;
        long length = size - 1 - start;
        if (length > Integer.MAX_VALUE - 16) {
            return size; // absurd line; leave it for the reader to report
        }
        ByteBuffer line = ByteBuffer.allocate((int) length);
        while (line.hasRemaining() && channel.read(line, start + line.position()) >= 0) {
            // read the whole final line
        }
        return parse(line.array(), line.limit()) != null ? size : start;
    }

    /** Position of the last '\n' before {@code end}, or -1. */
    private static long lastIndexOfNewline(FileChannel channel, long end) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(TAIL_CHUNK);
        long pos = end;
        while (pos > 0) {
            int n = (int) Math.min(TAIL_CHUNK, pos);
            pos -= n;
            chunk.clear().limit(n);
            while (chunk.hasRemaining() && channel.read(chunk, pos + chunk.position()) >= 0) {
                // fill the chunk
            }
            for (int i = chunk.position() - 1; i >= 0; i--) {
                if (chunk.get(i) == '\n') {
                    return pos + i;
                }
            }
        }
        return -1;
    }

    /** The line as a JSON object with an integral {@code seq}, or null. */
    static ObjectNode parse(byte[] bytes, int length) {
        if (length == 0) {
            return null;
        }
        try {
            JsonNode node = ProtocolCodec.mapper().readTree(bytes, 0, length);
            if (node instanceof ObjectNode object && object.path("seq").isIntegralNumber()) {
                return object;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Splits a stream into lines of bytes without decoding them. */
    private static final class LineBuffer {
        byte[] bytes = new byte[1024];
        int length;
        boolean terminated;

        boolean next(InputStream in) throws IOException {
            length = 0;
            terminated = false;
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    terminated = true;
                    return true;
                }
                if (length == bytes.length) {
                    bytes = Arrays.copyOf(bytes, bytes.length * 2);
                }
                bytes[length++] = (byte) b;
            }
            return length > 0;
        }

        boolean atEnd(InputStream in) throws IOException {
            in.mark(1);
            int b = in.read();
            in.reset();
            return b < 0;
        }
    }
}
