package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestLocks;
import dev.onvoid.webrtc.media.video.I420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrameBuffer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/** I420 → RGB → JPEG, checked by decoding the JPEG again; and the video writer's files. */
@Tag("media")
@ResourceLock(TestLocks.CPU)
class I420ImageTest {
    static final int W = 64;
    static final int H = 48;
    /** Quadrants: top-left, top-right, bottom-left, bottom-right. */
    static final int[][] COLOURS = {{220, 30, 30}, {30, 200, 40}, {40, 50, 210}, {128, 128, 128}};
    static final int TOLERANCE = 12;

    @TempDir
    Path dir;

    /** A frame with four flat colour blocks, made with the forward BT.601 limited-range formulas. */
    static I420Image quadrants(int w, int h, int[][] colours) {
        byte[] y = new byte[w * h];
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        byte[] u = new byte[cw * ch];
        byte[] v = new byte[cw * ch];
        for (int j = 0; j < h; j++) {
            for (int i = 0; i < w; i++) {
                int[] c = colours[(j < h / 2 ? 0 : 2) + (i < w / 2 ? 0 : 1)];
                y[j * w + i] = (byte) Math.round(16 + 0.257 * c[0] + 0.504 * c[1] + 0.098 * c[2]);
                if (i % 2 == 0 && j % 2 == 0) {
                    u[(j / 2) * cw + i / 2] = (byte) Math.round(128 - 0.148 * c[0] - 0.291 * c[1] + 0.439 * c[2]);
                    v[(j / 2) * cw + i / 2] = (byte) Math.round(128 + 0.439 * c[0] - 0.368 * c[1] - 0.071 * c[2]);
                }
            }
        }
        return new I420Image(w, h, y, u, v);
    }

    @Test
    void colourBlocksSurviveRgbAndJpeg() throws Exception {
        I420Image image = quadrants(W, H, COLOURS);
        BufferedImage rgb = image.toRgb();
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(image.toJpeg(VideoFrameWriter.JPEG_QUALITY)));
        assertEquals(W, decoded.getWidth());
        assertEquals(H, decoded.getHeight());
        for (int q = 0; q < 4; q++) {
            int cx = (q % 2 == 0 ? W / 4 : 3 * W / 4);
            int cy = (q < 2 ? H / 4 : 3 * H / 4);
            assertClose(COLOURS[q], rgb.getRGB(cx, cy), "RGB quadrant " + q);
            assertClose(COLOURS[q], average(decoded, cx, cy), "JPEG quadrant " + q);
        }
    }

    @Test
    void copiesPlanesWithPaddedStrides() {
        I420Image src = quadrants(W, H, COLOURS);
        I420Image copy = I420Image.copyOf(padded(src, 16));
        assertEquals(W, copy.width());
        assertEquals(H, copy.height());
        assertTrue(java.util.Arrays.equals(src.y(), copy.y()), "Y plane");
        assertTrue(java.util.Arrays.equals(src.u(), copy.u()), "U plane");
        assertTrue(java.util.Arrays.equals(src.v(), copy.v()), "V plane");
    }

    @Test
    void oddSizesWork() throws Exception {
        I420Image odd = quadrants(33, 17, COLOURS);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(odd.toJpeg(0.9f)));
        assertEquals(33, decoded.getWidth());
        assertEquals(17, decoded.getHeight());
    }

    @Test
    void writerStoresJpegsAndOneIndexLinePerFrame() throws Exception {
        VideoFrameWriter writer = new VideoFrameWriter(dir, "room");
        I420Image image = quadrants(W, H, COLOURS);
        for (int i = 0; i < 3; i++) {
            assertTrue(writer.offer(new VideoFrameWriter.Frame("p1", image, 0, 1_000_000L + i * 500_000L, 40_000, 1)));
        }
        writer.closeTrack("p1");
        writer.offer(new VideoFrameWriter.Frame("p1", image, 0, 9_000_000L, 40_000, 2));
        writer.close();
        assertEquals(4, writer.stored());
        assertEquals(0, writer.dropped());
        List<JsonNode> lines = MediaFiles.lines(dir.resolve("p1.video.jsonl"));
        assertEquals(3, lines.size());
        for (int i = 0; i < 3; i++) {
            JsonNode l = lines.get(i);
            assertEquals(i, l.path("frame").asInt());
            assertEquals("p1.video/" + i + ".jpg", l.path("file").asText());
            assertEquals(1_000_000L + i * 500_000L, l.path("serverUs").asLong());
            assertEquals(W, l.path("width").asInt());
            assertEquals(H, l.path("height").asInt());
            BufferedImage back = ImageIO.read(dir.resolve(l.path("file").asText()).toFile());
            assertEquals(W, back.getWidth());
        }
        // the performer left and came back: a new segment, as for audio
        assertEquals(1, MediaFiles.lines(dir.resolve("p1.seg2.video.jsonl")).size());
        assertTrue(Files.exists(dir.resolve("p1.seg2.video").resolve("0.jpg")));
    }

    @Test
    void fullQueueDropsAndCounts() {
        VideoFrameWriter writer = new VideoFrameWriter(dir, "room");
        I420Image big = quadrants(640, 480, COLOURS);
        int accepted = 0;
        int offered = VideoFrameWriter.QUEUE_CAPACITY * 4;
        for (int i = 0; i < offered; i++) {
            if (writer.offer(new VideoFrameWriter.Frame("p1", big, 0, i, 0, 1))) {
                accepted++;
            }
        }
        writer.close(30_000);
        assertEquals(offered - accepted, writer.dropped());
        assertTrue(writer.dropped() > 0, "offering 4× the queue at once must drop");
        assertEquals(accepted, writer.stored());
    }

    private static I420Buffer padded(I420Image img, int pad) {
        int cw = img.chromaWidth();
        int ch = img.chromaHeight();
        ByteBuffer y = pad(img.y(), img.width(), img.height(), img.width() + pad);
        ByteBuffer u = pad(img.u(), cw, ch, cw + pad);
        ByteBuffer v = pad(img.v(), cw, ch, cw + pad);
        return new I420Buffer() {
            public ByteBuffer getDataY() {
                return y;
            }

            public ByteBuffer getDataU() {
                return u;
            }

            public ByteBuffer getDataV() {
                return v;
            }

            public int getStrideY() {
                return img.width() + pad;
            }

            public int getStrideU() {
                return cw + pad;
            }

            public int getStrideV() {
                return cw + pad;
            }

            public int getWidth() {
                return img.width();
            }

            public int getHeight() {
                return img.height();
            }

            public I420Buffer toI420() {
                return this;
            }

            public VideoFrameBuffer cropAndScale(int a, int b, int c, int d, int e, int f) {
                throw new UnsupportedOperationException();
            }

            public void retain() {
            }

            public void release() {
            }
        };
    }

    private static ByteBuffer pad(byte[] plane, int w, int h, int stride) {
        ByteBuffer b = ByteBuffer.allocateDirect(stride * h);
        for (int row = 0; row < h; row++) {
            b.position(row * stride);
            b.put(plane, row * w, w);
            for (int k = w; k < stride; k++) {
                b.put((byte) 0x5a); // garbage in the padding must not leak into the copy
            }
        }
        return b.clear();
    }

    private static int average(BufferedImage img, int cx, int cy) {
        long r = 0;
        long g = 0;
        long b = 0;
        int n = 0;
        for (int y = cy - 4; y < cy + 4; y++) {
            for (int x = cx - 4; x < cx + 4; x++) {
                int p = img.getRGB(x, y);
                r += (p >> 16) & 0xff;
                g += (p >> 8) & 0xff;
                b += p & 0xff;
                n++;
            }
        }
        return (int) (r / n) << 16 | (int) (g / n) << 8 | (int) (b / n);
    }

    private static void assertClose(int[] expected, int rgb, String what) {
        int[] got = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
        for (int k = 0; k < 3; k++) {
            assertTrue(Math.abs(expected[k] - got[k]) <= TOLERANCE, what + ": expected " + java.util.Arrays.toString(
                    expected) + ", got " + java.util.Arrays.toString(got));
        }
    }
}
