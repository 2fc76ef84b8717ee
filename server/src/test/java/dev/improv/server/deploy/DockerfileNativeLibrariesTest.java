package dev.improv.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.OpenApiContract;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dockerfile's runtime packages are enough for the media recorder's native library (webrtc-java), checked the
 * way a container would fail: every shared library {@code ldd} resolves for it here must come from a package that
 * a Debian-family system with only the base system and the Dockerfile's {@code apt-get install} list has — the
 * list and everything apt pulls in with it ({@code apt-cache depends --recurse}), or the essential/required base
 * every such image has. No container engine runs here, so this is the closest honest check; the package
 * metadata is this machine's Debian, the image's base is Ubuntu's (the same library package names).
 */
@Tag("integration")
class DockerfileNativeLibrariesTest {
    static final String LIBRARY = "libwebrtc-java-linux-x86_64.so";

    @TempDir
    Path dir;

    @Test
    void everyLibraryTheRecordersNativeCodeLoadsComesWithTheDockerfilesPackages() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg"))
                && Files.isExecutable(Path.of("/usr/bin/apt-cache")), "a Debian-family system (CI is one)");
        Path lib = dir.resolve(LIBRARY);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(LIBRARY)) {
            assertTrue(in != null, LIBRARY + " on the test class path (webrtc-java's linux-x86_64 jar)");
            Files.copy(in, lib);
        }
        String ldd = run("ldd", lib.toString());
        assertFalse(ldd.contains("not found"), "this machine lacks libraries (scripts/install-media-deps.sh): " + ldd);
        List<String> paths = new ArrayList<>();
        Matcher m = Pattern.compile("=> (/\\S+)").matcher(ldd);
        while (m.find()) {
            paths.add(m.group(1));
        }
        assertTrue(paths.size() >= 10, ldd);

        List<String> docker = dockerfilePackages();
        assertTrue(docker.contains("libpulse0"), "the install line was found: " + docker);
        Set<String> base = new TreeSet<>(basePackages()); // Debian policy: required packages' dependencies are required
        java.util.Map<String, String> owners = owners(paths);
        assertEquals(List.of(), missing(owners, docker, base), "libraries no package of the Dockerfile brings");
        // the check can fail: without one of the listed packages its library is reported
        List<String> without = new ArrayList<>(docker);
        without.remove("libxrandr2");
        assertTrue(missing(owners, without, base).stream().anyMatch(s -> s.contains("libXrandr")),
                "dropping libxrandr2 is noticed");
    }

    /** The libraries (path and package) whose package is neither in {@code packages}' closure nor in the base. */
    private List<String> missing(java.util.Map<String, String> owners, List<String> packages, Set<String> base)
            throws Exception {
        Set<String> have = closure(packages);
        have.addAll(base);
        List<String> out = new ArrayList<>();
        owners.forEach((path, pkg) -> {
            if (!have.contains(pkg)) {
                out.add(path + " (" + pkg + ")");
            }
        });
        return out;
    }

    /** The packages of the runtime stage's {@code apt-get install} line. */
    static List<String> dockerfilePackages() throws IOException {
        String docker = Files.readString(OpenApiContract.repoRoot().resolve("Dockerfile"));
        String runtime = docker.substring(docker.lastIndexOf("\nFROM "));
        Matcher m = Pattern.compile("apt-get install -y --no-install-recommends ((?:[^&]|\\\\\\n)+)&&")
                .matcher(runtime);
        assertTrue(m.find(), "an apt-get install line in the runtime stage");
        List<String> out = new ArrayList<>();
        for (String word : m.group(1).replace("\\\n", " ").trim().split("\\s+")) {
            out.add(word);
        }
        return out;
    }

    /** Essential and required packages: every Debian or Ubuntu base image has them. */
    private static List<String> basePackages() throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : run("dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\\n").split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && (f[1].equals("yes") || f[2].equals("required"))) {
                out.add(f[0]);
            }
        }
        return out;
    }

    /** The packages with everything they depend on (pre-depends included, recommends not: the Dockerfile skips them). */
    private static Set<String> closure(List<String> packages) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("apt-cache", "depends", "--recurse", "--no-recommends",
                "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"));
        cmd.addAll(packages);
        Set<String> out = new TreeSet<>();
        for (String line : run(cmd.toArray(String[]::new)).split("\n")) {
            if (!line.isEmpty() && !line.startsWith(" ")) {
                out.add(line.trim().replace("<", "").replace(">", "").replaceAll(":amd64$", ""));
            }
        }
        return out;
    }

    /** The package that owns each library file, in one dpkg call (merged /usr: each path and its /usr twin). */
    private static java.util.Map<String, String> owners(List<String> paths) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dpkg", "-S"));
        for (String path : paths) {
            cmd.add(path);
            cmd.add(path.startsWith("/usr/") ? path.substring(4) : "/usr" + path);
        }
        Process proc = new ProcessBuilder(cmd).start(); // exit 1: some twins are nobody's; stderr says which
        proc.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
        java.util.Map<String, String> byPath = new java.util.HashMap<>();
        for (String line : out.split("\n")) { // "libx11-6:amd64: /usr/lib/x86_64-linux-gnu/libX11.so.6"
            int sep = line.indexOf(": ");
            if (sep > 0) {
                String file = line.substring(sep + 2).trim();
                byPath.put(file.startsWith("/usr/") ? file.substring(4) : file, line.substring(0, sep)
                        .replaceAll(":amd64$", ""));
            }
        }
        java.util.Map<String, String> result = new java.util.TreeMap<>();
        for (String path : paths) {
            String key = path.startsWith("/usr/") ? path.substring(4) : path;
            result.put(path, byPath.getOrDefault(key, "(no package owns it)"));
        }
        return result;
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}
