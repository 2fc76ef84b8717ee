package dev.improv.server.dataset;

import dev.improv.server.eventlog.SessionArchive;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports started through the admin API, run one at a time on a thread of their own ({@code dataset-export}),
 * never on an I/O or room thread: at most {@value #MAX_QUEUED} wait; more are refused. Each writes
 * {@code <dataDir>/exports/<name>} and reports its progress (sessions done, bytes). The last {@value #KEEP} jobs are
 * remembered (in memory: a restart forgets the jobs, not the exports). Thread-safe.
 */
public final class ExportJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExportJobs.class);
    static final int MAX_QUEUED = 2;
    static final int KEEP = 50;
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** A job's state as the API shows it. {@code error} and {@code errorField} are set when it failed. */
    public record Job(String id, String name, String state, String dir, int sessionsDone, int sessionsTotal,
                      long bytes, Integer samples, Integer shards, Integer excluded, String manifestSha256,
                      String errorField, String error) {
    }

    private final Path dataDir;
    private final SeamlessExport exporter;
    private final ThreadPoolExecutor thread;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    /** Told on the export thread when a job ends, done or failed (webhooks' export.finished). */
    private volatile java.util.function.Consumer<Job> finished = j -> { };

    public ExportJobs(Path dataDir, SessionArchive archive, String version) throws IOException {
        this(dataDir, archive, version, dev.improv.server.quality.QcThresholds.DEFAULTS);
    }

    /** Export-time quality flags judged against {@code qc} (the server's live thresholds). */
    public ExportJobs(Path dataDir, SessionArchive archive, String version, dev.improv.server.quality.QcThresholds qc)
            throws IOException {
        this.dataDir = dataDir;
        this.exporter = new SeamlessExport(dataDir, archive, version, qc);
        removeAbandoned(dataDir.resolve("exports"));
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_QUEUED),
                r -> {
                    Thread t = new Thread(r, "dataset-export");
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Checks the request against the data now (so a bad one is refused at once, naming the field), then queues
     * it. {@code name}: the export's folder under {@code exports/}; null for the job id.
     *
     * @throws ExportException for a bad request or an existing name
     * @throws RejectedExecutionException when {@value #MAX_QUEUED} exports already wait
     */
    public Job start(ExportRequest req, String name) throws IOException {
        String id = UUID.randomUUID().toString();
        String folder = name == null ? id : name;
        if (!NAME.matcher(folder).matches()) {
            throw new ExportException("name", "1 to 64 letters, digits or '-'");
        }
        Path out = dataDir.resolve("exports").resolve(folder);
        if (java.nio.file.Files.exists(out)) {
            throw new ExportException("name", "an export named '" + folder + "' exists; exports are never replaced");
        }
        int total = exporter.select(req).size();
        Job queued = new Job(id, folder, "queued", out.toString(), 0, total, 0, null, null, null, null, null, null);
        synchronized (this) {
            thread.execute(() -> run(id, req, out));
            put(queued);
        }
        return queued;
    }

    /** An export cut short by a stop or a crash left a {@code *.partial-*} folder: never an export, so it goes. */
    static void removeAbandoned(Path exports) throws IOException {
        if (!java.nio.file.Files.isDirectory(exports)) {
            return;
        }
        try (java.util.stream.Stream<Path> dirs = java.nio.file.Files.list(exports)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches(".+\\.partial-[0-9a-f]{8}")).toList()) {
                LOG.warn("removing {}: an export that did not finish (server stopped or crashed during it)", d);
                SeamlessExport.deleteTree(d);
            }
        }
    }

    private void run(String id, ExportRequest req, Path out) {
        update(id, j -> new Job(j.id(), j.name(), "running", j.dir(), 0, j.sessionsTotal(), 0, null, null, null, null,
                null, null));
        try {
            SeamlessExport.Result r = exporter.export(req, out, (sid, done, total, bytes) -> update(id,
                    j -> new Job(j.id(), j.name(), "running", j.dir(), done, total, bytes, null, null, null, null, null,
                            null)));
            update(id, j -> new Job(j.id(), j.name(), "done", j.dir(), r.sessions(), r.sessions(), r.bytes(),
                    r.samples(), r.shards(), r.excluded(), r.manifestSha256(), null, null));
            LOG.info("dataset export {} done: {} samples in {} shards, {} bytes -> {}", id, r.samples(), r.shards(),
                    r.bytes(), out);
        } catch (ExportException e) {
            fail(id, e.field(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            fail(id, null, e.toString());
        }
        ended(id);
    }

    private void fail(String id, String field, String message) {
        LOG.warn("dataset export {} failed: {}", id, message);
        update(id, j -> new Job(j.id(), j.name(), "failed", j.dir(), j.sessionsDone(), j.sessionsTotal(), j.bytes(),
                null, null, null, null, field, message));
    }

    /** Who hears about every job that ends (composition root, before the first job). */
    public void onFinished(java.util.function.Consumer<Job> listener) {
        this.finished = listener;
    }

    private void ended(String id) {
        Job j = get(id).orElse(null);
        if (j != null) {
            finished.accept(j);
        }
    }

    public synchronized Optional<Job> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public synchronized List<Job> list() {
        return new ArrayList<>(jobs.values());
    }

    private synchronized void update(String id, java.util.function.UnaryOperator<Job> change) {
        Job j = jobs.get(id);
        if (j != null) {
            jobs.put(id, change.apply(j));
        }
    }

    private void put(Job j) {
        jobs.put(j.id(), j);
        while (jobs.size() > KEEP) {
            String oldest = jobs.keySet().iterator().next();
            if (!"done".equals(jobs.get(oldest).state()) && !"failed".equals(jobs.get(oldest).state())) {
                break;
            }
            jobs.remove(oldest);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow(); // a running export is abandoned: its .partial folder is never taken for an export
    }
}
