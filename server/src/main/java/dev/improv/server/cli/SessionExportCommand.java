package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.DatasetBuilder;
import dev.improv.server.eventlog.DatasetFiles;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code export}: fetches sessions from a running server and writes, per session, its log
 * ({@code <out>/<session>/events.jsonl}, exactly as the server answered) and the dataset files of docs/dataset.md
 * (the same writer as the offline {@code ExportCommand}).
 */
@Command(name = "export", description = "Download sessions: the log as events.jsonl and the dataset files.",
        mixinStandardHelpOptions = true)
final class SessionExportCommand extends AdminCommand {
    @Parameters(paramLabel = "SESSION", arity = "0..*", description = "Session ids; default: every session.")
    List<String> sessions;
    @Option(names = "--out", required = true, description = "Folder to write into (created if missing).")
    Path out;

    @Override
    public Integer call() {
        AdminClient client = client();
        List<String> ids = new ArrayList<>();
        if (sessions == null || sessions.isEmpty()) {
            client.get("/api/sessions").path("sessions").forEach(s -> ids.add(s.path("id").asText()));
        } else {
            ids.addAll(sessions);
        }
        Printer p = printer();
        var written = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        for (String id : ids) {
            String base = "/api/sessions/" + PathSegment.of(id, "session");
            byte[] log = client.getBytes(base + "/log");
            JsonNode datasetJson = client.get(base + "/dataset");
            try {
                DatasetBuilder.Dataset dataset = ProtocolCodec.mapper().treeToValue(datasetJson,
                        DatasetBuilder.Dataset.class);
                Path dir = DatasetFiles.write(id, dataset, out);
                Files.write(dir.resolve("events.jsonl"), log);
                long lines = new String(log, java.nio.charset.StandardCharsets.UTF_8).lines().count();
                written.addObject().put("session", id).put("dir", dir.toString()).put("events", lines)
                        .put("scenes", dataset.scenes().size());
                if (!p.json()) {
                    p.line(id + ": " + lines + " events, " + dataset.scenes().size() + " scenes -> " + dir);
                }
            } catch (IOException e) {
                throw new CliFailure(CliFailure.REFUSED, "cannot write session " + id + " under " + out + ": "
                        + e.getMessage());
            }
        }
        if (ids.isEmpty() && !p.json()) {
            p.line("no sessions on the server");
        }
        p.jsonIfAsked(written);
        return 0;
    }
}
