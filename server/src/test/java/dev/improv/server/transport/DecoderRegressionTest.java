package dev.improv.server.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The fuzz test's inputs as a normal unit test: every seed and every finding kept under
 * {@code DecoderFuzzTestInputs/} (Jazzer's inputs folder of {@link DecoderFuzzTest}) is checked against
 * {@link DecoderProperties}, and a seeded mutator derives a few thousand more inputs from them (the same inputs on
 * every run: {@code -Dimprov.fuzz.seed=N} picks others, {@code -Dimprov.fuzz.iterations=N} runs more). An input
 * that fails is written to {@code target/fuzz-findings/} so that it can be kept as a regression input.
 */
class DecoderRegressionTest {
    private static final String INPUTS = "DecoderFuzzTestInputs";
    private static final int ITERATIONS = Integer.getInteger("improv.fuzz.iterations", 3000);
    private static final long SEED = Long.getLong("improv.fuzz.seed", 13);

    @TestFactory
    Stream<DynamicTest> everyKeptInputHolds() throws IOException, URISyntaxException {
        List<Path> inputs = inputs();
        assertTrue(inputs.size() >= 20, "the seeds are on the class path: " + inputs.size());
        return inputs.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(),
                () -> checkOrKeep(Files.readAllBytes(p))));
    }

    @Test
    void seededMutationsOfTheInputsHold() throws IOException, URISyntaxException {
        List<byte[]> seeds = new ArrayList<>();
        for (Path p : inputs()) {
            seeds.add(Files.readAllBytes(p));
        }
        Random random = new Random(SEED);
        for (int i = 0; i < ITERATIONS; i++) {
            checkOrKeep(JsonMutator.mutate(seeds.get(random.nextInt(seeds.size())), random));
        }
    }

    private static List<Path> inputs() throws IOException, URISyntaxException {
        Path dir = Path.of(DecoderRegressionTest.class.getResource(INPUTS).toURI());
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Checks the input; when it fails, writes it to target/fuzz-findings/ and says where. */
    private static void checkOrKeep(byte[] input) throws IOException {
        try {
            DecoderProperties.check(input);
        } catch (Throwable t) {
            Path dir = Files.createDirectories(Path.of("target", "fuzz-findings"));
            Path kept = dir.resolve("crash-" + sha1(input));
            Files.write(kept, input);
            String shown = new String(input, 0, Math.min(input.length, 300), StandardCharsets.UTF_8);
            throw new AssertionError("decoder property broken by " + kept.toAbsolutePath() + " (" + input.length
                    + " bytes: " + shown + "); copy it to src/test/resources/dev/improv/server/transport/"
                    + INPUTS + "/decoders/ once fixed", t);
        }
    }

    private static String sha1(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
