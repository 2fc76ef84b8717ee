package dev.improv.server.eventlog;

import dev.improv.server.dataset.ConsentScope;
import dev.improv.server.dataset.ExportException;
import dev.improv.server.dataset.ExportRequest;
import dev.improv.server.dataset.SeamlessExport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exports the sessions of a data directory offline, without a server:
 * {@code java -cp improv-server.jar dev.improv.server.eventlog.ExportCommand --data-dir ./data --out DIR}.
 * {@code --format webdataset} writes the dataset a lab loads (shards, Parquet, card, Croissant, signed manifest:
 * {@link SeamlessExport}); {@code folders} (the default) the per-scene JSON folders of {@link DatasetFiles}.
 */
@Command(name = "improv-export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Exports sessions (see docs/dataset.md): --format webdataset for WebDataset shards, Parquet "
                + "tables, dataset card, Croissant and a signed manifest; folders for <out>/<session>/scene-<n>/….")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "${env:IMPROV_DATA_DIR:-./data}",
            description = "The server's data directory (env IMPROV_DATA_DIR).")
    Path dataDir;

    @Option(names = "--format", defaultValue = "folders", description = "folders or webdataset (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--session", description = "Session id to export (repeatable); default: every closed session.")
    List<String> sessions;

    @Option(names = "--pool", description = "webdataset: only sessions recorded in this pool (repeatable).")
    Set<String> pools;

    @Option(names = "--from", description = "webdataset: sessions started on or after this UTC date (yyyy-mm-dd).")
    LocalDate from;

    @Option(names = "--to", description = "webdataset: sessions started on or before this UTC date (yyyy-mm-dd).")
    LocalDate to;

    @Option(names = "--scope", description = "webdataset: the uses licensed (repeatable; training, synthetic_voice, "
            + "commercial_use; default training). Performers whose consent lacks one, or who withdrew one, are left out.")
    List<String> scopes;

    @Option(names = "--vendor", description = "webdataset: the V part of the ids (default 00).")
    String vendor;

    @Option(names = "--shard-bytes", description = "webdataset: at most this many bytes per shard (default 1 GiB).")
    long shardBytes;

    @Option(names = "--language", description = "webdataset: BCP-47 language of the recordings, for the card (repeatable).")
    List<String> languages;

    @Option(names = "--license", description = "webdataset: the card's licence id (default other).")
    String license;

    @Option(names = "--out", required = true, description = "Folder to write into (webdataset: must not exist).")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ExportCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = new PrintWriter(System.out, true);
        PrintWriter stderr = new PrintWriter(System.err, true);
        return switch (format) {
            case "folders" -> folders(stdout, stderr);
            case "webdataset" -> webdataset(stdout, stderr);
            default -> {
                stderr.println("--format: 'folders' or 'webdataset', not '" + format + "'");
                yield 2;
            }
        };
    }

    private int webdataset(PrintWriter stdout, PrintWriter stderr) throws Exception {
        SessionArchive archive = new SessionArchive(new SessionFiles(dataDir));
        try {
            ExportRequest req = new ExportRequest(sessions, pools, from, to,
                    ConsentScope.parseAll(scopes == null ? List.of() : scopes), vendor, shardBytes, languages, license);
            long start = System.nanoTime();
            SeamlessExport.Result r = new SeamlessExport(dataDir, archive,
                    dev.improv.server.config.ServerCommand.serverVersion()).export(req, out,
                    (id, done, total, bytes) -> stderr.printf("%d/%d %s (%.1f MB so far)%n", done, total, id,
                            bytes / 1e6));
            double s = (System.nanoTime() - start) / 1e9;
            stdout.printf("%s: %d sessions, %d interactions, %d samples, %d shards, %d bytes in %.1f s; %d left out "
                    + "(manifest.json says why); manifest sha256 %s%n", r.dir(), r.sessions(), r.interactions(),
                    r.samples(), r.shards(), r.bytes(), s, r.excluded(), r.manifestSha256());
            return 0;
        } catch (ExportException e) {
            stderr.println((e.field() == null ? "" : "--" + optionOf(e.field()) + ": ") + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            stderr.println("--scope: " + e.getMessage());
            return 1;
        }
    }

    private static String optionOf(String field) {
        return switch (field) {
            case "shardBytes" -> "shard-bytes";
            case "sessions" -> "session";
            case "pools" -> "pool";
            case "languages" -> "language";
            default -> field;
        };
    }

    private int folders(PrintWriter stdout, PrintWriter stderr) throws Exception {
        SessionArchive archive = new SessionArchive(new SessionFiles(dataDir));
        List<String> ids = sessions == null || sessions.isEmpty() ? new SessionFiles(dataDir).ids() : sessions;
        int failed = 0;
        for (String id : ids) {
            if (!archive.exists(id)) {
                stderr.println("no session '" + id + "' under " + dataDir.resolve("sessions"));
                failed++;
                continue;
            }
            DatasetBuilder.Dataset d = archive.dataset(id);
            Path dir = DatasetFiles.write(id, d, out);
            stdout.printf("%s: %d scenes, %d participants -> %s%n", id, d.scenes().size(), d.participants().size(),
                    dir);
            for (String warning : d.warnings()) {
                stderr.println(id + ": " + warning);
            }
        }
        if (ids.isEmpty()) {
            stderr.println("no sessions under " + dataDir.resolve("sessions"));
        }
        return failed == 0 ? 0 : 1;
    }
}
