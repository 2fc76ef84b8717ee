package dev.improv.server.media;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media recorder as its own process: records the rooms of the given recorder tokens until they close.
 * Exit code 0 when every room ended normally, 2 when asked for more rooms than {@code --max-rooms}.
 */
@Command(name = "improv-media-recorder", mixinStandardHelpOptions = true, sortOptions = false,
        showDefaultValues = true,
        description = "Joins rooms as the recorder role and writes each consenting performer's audio to WAV (and, with --video-fps, video as JPEGs).")
public final class RecorderMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RecorderMain.class);

    @Option(names = "--server", required = true, description = "WebSocket base of the server, e.g. ws://127.0.0.1:8080")
    String server;

    @Option(names = "--token", required = true, arity = "1..*",
            description = "Recorder join token of a room (repeat for several rooms)")
    List<String> tokens = new ArrayList<>();

    @Option(names = "--data-dir", defaultValue = "${env:IMPROV_DATA_DIR:-./data}",
            description = "Files go to <data-dir>/sessions/<sessionId>/media/")
    Path dataDir;

    @Option(names = "--max-rooms", defaultValue = "4", description = "Rooms recorded at once by this process")
    int maxRooms;

    @Option(names = "--consent", defaultValue = "none",
            description = "Who consented to recording until the lobby provides it per performer: all or none")
    String consent;

    @Option(names = "--video-fps", defaultValue = "0",
            description = "Images per second stored of each performer's video (JPEG sequence); 0 = no video")
    double videoFps;

    @Override
    public Integer call() throws Exception {
        if (!(videoFps >= 0 && videoFps <= MediaRecorder.MAX_VIDEO_FPS)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--video-fps must be between 0 and " + MediaRecorder.MAX_VIDEO_FPS);
        }
        ConsentPolicy policy;
        if (consent.equals("all")) {
            policy = ConsentPolicy.everyone();
        } else if (consent.equals("none")) {
            LOG.warn("--consent none: offers are not answered and nothing is recorded");
            policy = ConsentPolicy.nobody();
        } else {
            throw new CommandLine.ParameterException(new CommandLine(this), "--consent must be all or none");
        }
        if (tokens.size() > maxRooms) {
            System.err.println(new RecorderLimitException(maxRooms).getMessage());
            return 2;
        }
        try (MediaRecorder recorder = new MediaRecorder(dataDir, maxRooms, policy, videoFps)) {
            List<CompletableFuture<Void>> rooms = new ArrayList<>();
            for (String token : tokens) {
                rooms.add(recorder.record(server, token).finished());
            }
            Runtime.getRuntime().addShutdownHook(new Thread(recorder::close, "media-recorder-shutdown"));
            CompletableFuture.allOf(rooms.toArray(CompletableFuture[]::new)).join();
        }
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new RecorderMain()).execute(args));
    }
}
