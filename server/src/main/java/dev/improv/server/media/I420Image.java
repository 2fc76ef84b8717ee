package dev.improv.server.media;

import dev.onvoid.webrtc.media.video.I420Buffer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * One decoded video frame as plain Java arrays: I420 (Y full size, U and V at half width and half height,
 * rounded up), rows packed without padding. Copied out of WebRTC's buffer on WebRTC's thread (a memcpy), so the
 * native frame can be released at once; converted to RGB and JPEG on the video writer thread.
 *
 * <p>Colour: BT.601 "limited range" (Y 16..235, U/V 16..240), what libwebrtc's decoders put out and what its own
 * {@code I420ToARGB} assumes; chroma is taken from the 2×2 block that covers a pixel (no interpolation).
 */
record I420Image(int width, int height, byte[] y, byte[] u, byte[] v) {

    int chromaWidth() {
        return (width + 1) / 2;
    }

    int chromaHeight() {
        return (height + 1) / 2;
    }

    /** Copies the planes of a WebRTC buffer (any stride) into packed arrays. Does not release the buffer. */
    static I420Image copyOf(I420Buffer buffer) {
        int w = buffer.getWidth();
        int h = buffer.getHeight();
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        return new I420Image(w, h, plane(buffer.getDataY(), buffer.getStrideY(), w, h),
                plane(buffer.getDataU(), buffer.getStrideU(), cw, ch),
                plane(buffer.getDataV(), buffer.getStrideV(), cw, ch));
    }

    private static byte[] plane(ByteBuffer src, int stride, int w, int h) {
        ByteBuffer b = src.duplicate();
        byte[] out = new byte[w * h];
        for (int row = 0; row < h; row++) {
            b.position(row * stride);
            b.get(out, row * w, w);
        }
        return out;
    }

    /** RGB image (BT.601 limited range → full-range sRGB values). */
    BufferedImage toRgb() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        int cw = chromaWidth();
        for (int j = 0; j < height; j++) {
            int yRow = j * width;
            int cRow = (j / 2) * cw;
            for (int i = 0; i < width; i++) {
                int c = (y[yRow + i] & 0xff) - 16;
                int d = (u[cRow + i / 2] & 0xff) - 128;
                int e = (v[cRow + i / 2] & 0xff) - 128;
                // fixed point (×256) of R = 1.164 C + 1.596 E; G = 1.164 C − 0.392 D − 0.813 E; B = 1.164 C + 2.017 D
                int r = clamp((298 * c + 409 * e + 128) >> 8);
                int g = clamp((298 * c - 100 * d - 208 * e + 128) >> 8);
                int b = clamp((298 * c + 516 * d + 128) >> 8);
                row[i] = (r << 16) | (g << 8) | b;
            }
            img.setRGB(0, j, width, 1, row, 0, width);
        }
        return img;
    }

    /** Baseline JPEG of {@link #toRgb()} through {@code javax.imageio}; {@code quality} 0..1. */
    byte[] toJpeg(float quality) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IOException("no JPEG writer in this JRE");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(width * height / 4 + 1024);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(toRgb(), null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static int clamp(int x) {
        return x < 0 ? 0 : Math.min(255, x);
    }
}
