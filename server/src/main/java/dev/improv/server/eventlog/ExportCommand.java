package dev.improv.server.eventlog;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes the dataset files of finished (or running) sessions for offline use:
 * {@code java -cp improv-server.jar dev.improv.server.eventlog.ExportCommand --data-dir ./data --out DIR}.
 */
@Command(name = "improv-export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Exports session logs as dataset files: <out>/<session>/scene-<n>/prompt.json and "
                + "participant-<id>/turns.json + vad.json (see docs/dataset.md).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "${env:IMPROV_DATA_DIR:-./data}",
            description = "The server's data directory (env IMPROV_DATA_DIR).")
    Path dataDir;

    @Option(names = "--session", description = "Session id to export (repeatable); default: every session.")
    List<String> sessions;

    @Option(names = "--out", required = true, description = "Folder to write the dataset into.")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ExportCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        SessionArchive archive = new SessionArchive(new SessionFiles(dataDir));
        PrintWriter stdout = new PrintWriter(System.out, true);
        PrintWriter stderr = new PrintWriter(System.err, true);
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
