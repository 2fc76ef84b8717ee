package dev.improv.server.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorder's image index as the export reads it: segments, bad lines, the window, the frames tar's size. */
@Tag("integration") // files in a temp dir, milliseconds
public class VideoFramesTest {
    @TempDir
    Path root;

    private Path image(Path media, String rel, int bytes) throws IOException {
        Path p = media.resolve(rel);
        Files.createDirectories(p.getParent());
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 31 + bytes);
        }
        return Files.write(p, b);
    }

    private static String line(int frame, String file, long us) {
        return "{\"frame\":" + frame + ",\"file\":\"" + file + "\",\"serverUs\":" + us + ",\"width\":4,\"height\":2}\n";
    }

    @Test
    void segmentsBadLinesAndTheWindow() throws Exception {
        Path media = Files.createDirectories(root.resolve("media"));
        image(media, "p.video/0.jpg", 700);
        image(media, "p.video/1.jpg", 513);
        image(root, "outside.jpg", 100); // exists, but outside media/: never exported
        image(media, "p.seg2.video/0.jpg", 512);
        image(media, "p.seg4.video/0.jpg", 10);
        Files.writeString(media.resolve("p.video.jsonl"), line(0, "p.video/0.jpg", 1_000) + line(1, "p.video/1.jpg", 2_000)
                + line(2, "../outside.jpg", 2_500) + "{\"frame\":3,\"file\":\"p.video/0.jpg\"}\n"
                + line(4, "p.video/4.jpg", 2_700) + "{\"frame\":5,\"fi");
        Files.writeString(media.resolve("p.seg2.video.jsonl"), line(0, "p.seg2.video/0.jpg", 3_000));
        // no p.seg3.wav and no p.seg3.video.jsonl: the segments end there, seg4 is not read
        Files.writeString(media.resolve("p.seg4.video.jsonl"), line(0, "p.seg4.video/0.jpg", 3_500));

        VideoFrames v = VideoFrames.find(media, "p");
        assertEquals(2, v.missing()); // the line leaving media/ and the one whose image is missing
        List<VideoFrames.Frame> all = v.within(0, 10_000);
        assertEquals(List.of("p.video/0.jpg", "p.video/1.jpg", "p.seg2.video/0.jpg"),
                all.stream().map(VideoFrames.Frame::source).toList());
        assertEquals(List.of("p.video/1.jpg"), v.within(2_000, 3_000).stream().map(VideoFrames.Frame::source).toList());
        assertNull(VideoFrames.find(media, "nobody"));
        assertNull(VideoFrames.find(media, "../media/p"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<VideoFrames.Packed> packed = VideoFrames.writeTar(all, out);
        assertEquals(VideoFrames.tarBytes(all), out.size());
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                byte[] body = tar.readAllBytes();
                assertArrayEquals(Files.readAllBytes(all.get(names.size()).file()), body);
                assertEquals(SeamlessExport.sha256(body), packed.get(names.size()).sha256());
                names.add(e.getName());
            }
        }
        assertEquals(List.of("0.jpg", "1.jpg", "2.jpg"), names);
        String index = new String(VideoFrames.index(all, 500), StandardCharsets.UTF_8);
        assertTrue(index.startsWith("{\"frame\":0,\"file\":\"0.jpg\",\"offsetUs\":500,\"t\":5.0E-4,\"width\":4,\"height\":2,"),
                index);

        // an image that changes size between listing and copying fails the export instead of writing a short member
        Files.write(all.get(0).file(), new byte[3]);
        assertThrows(IOException.class, () -> VideoFrames.writeTar(all, new ByteArrayOutputStream()));
    }
}
