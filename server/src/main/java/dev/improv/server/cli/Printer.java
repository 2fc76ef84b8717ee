package dev.improv.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Output of the CLI: the server's JSON as it is (--json) or aligned columns for people. */
final class Printer {
    private final PrintWriter out;
    private final boolean json;

    Printer(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    /** Prints {@code answer} as JSON when asked; returns whether it did (then the caller prints nothing else). */
    boolean jsonIfAsked(JsonNode answer) {
        if (!json) {
            return false;
        }
        try {
            out.println(ProtocolCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return true;
    }

    void line(String text) {
        out.println(text);
    }

    /** A table: a header row and rows, columns padded to their widest cell. */
    void table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] width = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                b.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + width[i] + "s  ", row.get(i)));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    /** The join links of an answer, one per line: role, name, participant, url. */
    void links(JsonNode links) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode l : links) {
            rows.add(List.of(l.path("role").asText(), l.path("name").asText(), l.path("participantId").asText(),
                    expires(l.path("expiresAt").asLong()), l.path("url").asText()));
        }
        table(List.of("ROLE", "NAME", "PARTICIPANT", "EXPIRES", "URL"), rows);
    }

    static String expires(long epochSeconds) {
        return Instant.ofEpochSecond(epochSeconds).toString();
    }

    /** µs since the epoch (the log's clock) as an instant, or "-". */
    static String micros(JsonNode us) {
        return us == null || us.isNull() || us.isMissingNode() ? "-"
                : Instant.ofEpochSecond(0, us.asLong() * 1000).toString();
    }
}
