package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.improv.server.config.OwnerOnly;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consent log: every withdrawal, in order, in {@code <dataDir>/consent/withdrawals.jsonl}, one JSON object a line,
 * appended and forced before the caller hears "done" (a withdrawal acknowledged is never lost). Never rewritten:
 * an export copies it whole, so downstream holders get the same list. A torn last line (a crash mid-append) is
 * skipped on reading and cut before the next append. Blocking I/O; appends are serialised by this object.
 */
public final class Withdrawals {
    private static final Logger LOG = LoggerFactory.getLogger(Withdrawals.class);
    private static final ObjectMapper JSON = ProtocolCodec.mapper();
    public static final int MAX_REASON_CHARS = 500;
    /** Withdrawals one participant may record: a withdrawal is rare, and a performer's link must not fill the disk. */
    public static final int MAX_PER_PARTICIPANT = 16;

    /**
     * One withdrawal: participant {@code pid} withdraws {@code scopes} (every scope when it names all of them) from
     * every export made after {@code at} (epoch millis). {@code via}: {@code admin} or {@code performer}.
     */
    public record Withdrawal(long number, String pid, List<String> scopes, long at, String via, String reason) {
        public boolean covers(ConsentScope scope) {
            return scopes.contains(scope.wireName());
        }
    }

    private final Path file;

    public Withdrawals(Path dataDir) {
        this.file = dataDir.resolve("consent").resolve("withdrawals.jsonl");
    }

    public Path file() {
        return file;
    }

    /** Appends and forces one withdrawal; returns it with its number. Scopes empty means every scope. */
    public synchronized Withdrawal withdraw(String pid, Set<ConsentScope> scopes, String via, String reason, long now)
            throws IOException {
        if (pid == null || pid.isEmpty() || pid.length() > 128) {
            throw new IllegalArgumentException("pid: 1 to 128 characters");
        }
        if (reason != null && reason.length() > MAX_REASON_CHARS) {
            throw new IllegalArgumentException("reason: at most " + MAX_REASON_CHARS + " characters");
        }
        List<String> names = (scopes.isEmpty() ? Set.of(ConsentScope.values()) : scopes).stream()
                .sorted().map(ConsentScope::wireName).toList();
        List<Withdrawal> all = all();
        if (all.stream().filter(x -> x.pid().equals(pid)).count() >= MAX_PER_PARTICIPANT) {
            throw new IllegalStateException("participant " + pid + " has recorded " + MAX_PER_PARTICIPANT
                    + " withdrawals, the most one participant may; the studio can help");
        }
        Withdrawal w = new Withdrawal(all.size() + 1L, pid, names, now, via, reason);
        OwnerOnly.createDirectories(file.getParent());
        try (FileChannel out = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                OwnerOnly.file())) {
            out.truncate(completeLength());
            out.position(out.size());
            ByteBuffer line = ByteBuffer.wrap((JSON.writeValueAsString(w) + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                out.write(line);
            }
            out.force(true);
        }
        LOG.info("consent withdrawn: participant {} scopes {} via {} (withdrawal {})", pid, names, via, w.number());
        return w;
    }

    /** Every withdrawal, oldest first. */
    public List<Withdrawal> all() throws IOException {
        List<Withdrawal> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long keep = completeLength();
            long read = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                read += line.getBytes(StandardCharsets.UTF_8).length + 1;
                if (read > keep) {
                    break; // torn tail
                }
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, Withdrawal.class));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    /** The withdrawals of one participant. */
    public List<Withdrawal> of(String pid) throws IOException {
        return all().stream().filter(w -> w.pid().equals(pid)).toList();
    }

    /** Bytes up to and including the last newline. */
    private long completeLength() throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        return end;
    }
}
