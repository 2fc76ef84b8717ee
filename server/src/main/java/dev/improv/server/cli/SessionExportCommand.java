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
 * (the same writer as the offline {@code ExportCommand}). With {@code --format webdataset} it asks the server for
 * the dataset a lab loads ({@code POST /api/exports}: written under the server's {@code exports/} folder) and
 * follows its progress until it is done.
 */
@Command(name = "export", description = "Download sessions (events.jsonl + the dataset files), or with --format "
        + "webdataset have the server export shards, Parquet, card, Croissant and a signed manifest.",
        mixinStandardHelpOptions = true)
final class SessionExportCommand extends AdminCommand {
    @Parameters(paramLabel = "SESSION", arity = "0..*", description = "Session ids; default: every session.")
    List<String> sessions;
    @Option(names = "--out", description = "folders: the folder to write into (created if missing).")
    Path out;
    @Option(names = "--format", defaultValue = "folders", description = "folders (default) or webdataset.")
    String format;
    @Option(names = "--name", description = "webdataset: the export's folder name under the server's exports/.")
    String name;
    @Option(names = "--pool", description = "webdataset: only sessions of this pool (repeatable).")
    List<String> pools;
    @Option(names = "--from", description = "webdataset: sessions started on or after this UTC date (yyyy-mm-dd).")
    String from;
    @Option(names = "--to", description = "webdataset: sessions started on or before this UTC date.")
    String to;
    @Option(names = "--scope", description = "webdataset: licensed uses (repeatable; default training).")
    List<String> scopes;

    @Override
    public Integer call() {
        if ("webdataset".equals(format)) {
            return webdataset();
        }
        if (!"folders".equals(format)) {
            throw new CliFailure(CliFailure.USAGE, "--format: 'folders' or 'webdataset', not '" + format + "'");
        }
        if (out == null) {
            throw new CliFailure(CliFailure.USAGE, "--out: required for the folders format");
        }
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

    private int webdataset() {
        AdminClient client = client();
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("sessions", sessions);
        body.put("pools", pools);
        body.put("from", from);
        body.put("to", to);
        body.put("scopes", scopes);
        body.put("name", name);
        body.values().removeIf(java.util.Objects::isNull);
        JsonNode job = client.post("/api/exports", body);
        String id = job.path("id").asText();
        Printer p = printer();
        String last = "";
        while (job.path("state").asText().matches("queued|running")) {
            String line = job.path("state").asText() + ": " + job.path("sessionsDone").asInt() + "/"
                    + job.path("sessionsTotal").asInt() + " sessions, " + job.path("bytes").asLong() + " bytes";
            if (!line.equals(last) && !p.json()) {
                p.line(line);
                last = line;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliFailure(CliFailure.UNREACHABLE, "interrupted; the export " + id + " goes on");
            }
            job = client.get("/api/exports/" + PathSegment.of(id, "export"));
        }
        if (!"done".equals(job.path("state").asText())) {
            throw new CliFailure(CliFailure.REFUSED, "export " + id + " failed: " + job.path("error").asText());
        }
        if (!p.json()) {
            p.line("done: " + job.path("samples").asInt() + " samples in " + job.path("shards").asInt() + " shards, "
                    + job.path("bytes").asLong() + " bytes -> " + job.path("dir").asText() + " (manifest sha256 "
                    + job.path("manifestSha256").asText() + ")");
        }
        p.jsonIfAsked(job);
        return 0;
    }
}
