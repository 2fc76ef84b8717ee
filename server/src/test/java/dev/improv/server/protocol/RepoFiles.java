package dev.improv.server.protocol;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout the tests run in (they run with the module folder as working directory). */
final class RepoFiles {
    private RepoFiles() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docs/protocol.md")) && Files.isDirectory(p.resolve("web-client"))) {
                return p;
            }
        }
        throw new IllegalStateException("not inside the repository: " + Path.of("").toAbsolutePath());
    }
}
