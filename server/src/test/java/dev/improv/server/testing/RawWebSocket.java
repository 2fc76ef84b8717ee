package dev.improv.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket, for misbehaving on purpose: never reading, never answering pings, or
 * stopping in the middle of a handshake. Server frames are read unmasked, client frames are sent masked.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Opens TCP only; {@code receiveBuffer} > 0 shrinks the socket's receive buffer (slow consumers). */
    public static RawWebSocket tcp(int port, int receiveBuffer) throws IOException {
        return tcp(null, port, receiveBuffer);
    }

    /** The same from {@code localAddress} (another loopback address such as 127.0.0.5; null: any). */
    public static RawWebSocket tcp(String localAddress, int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        try {
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            if (localAddress != null) {
                s.bind(new InetSocketAddress(localAddress, 0));
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new RawWebSocket(s);
    }

    /** Opens TCP and completes the WebSocket handshake for {@code pathAndQuery}. */
    public static RawWebSocket open(int port, String pathAndQuery, int receiveBuffer) throws IOException {
        return open(null, port, pathAndQuery, receiveBuffer);
    }

    /** The same from {@code localAddress} (null: any). */
    public static RawWebSocket open(String localAddress, int port, String pathAndQuery, int receiveBuffer)
            throws IOException {
        RawWebSocket ws = tcp(localAddress, port, receiveBuffer);
        String key = Base64.getEncoder().encodeToString(new byte[16]);
        ws.writeRaw("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        String head = ws.readHttpHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + head);
        }
        return ws;
    }

    /** Read timeout in ms (0 = block until data or close); 10 s unless changed. */
    public RawWebSocket readTimeout(int ms) throws IOException {
        socket.setSoTimeout(ms);
        return this;
    }

    public void writeRaw(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads an HTTP answer's head (up to the blank line), for a handshake the server refuses. */
    public String readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during handshake");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    public void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x81);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /** One masked client frame of any opcode, final or not (fragments, control frames, broken frames). */
    public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        try {
            out.write(maskedFrame(opcode, fin, payload.length, payload));
            out.flush();
        } catch (IOException e) {
            // the server may close while a large message is still being sent: the close frame tells why
        }
    }

    /**
     * The head of a masked frame that announces {@code declaredLength} payload bytes, and only the first
     * {@code sentBytes} of them (spaces): a frame the server has to hold until the rest arrives, which it never
     * does. Throws when the server closed the connection.
     */
    public void sendFrameStart(int opcode, boolean fin, int declaredLength, int sentBytes) throws IOException {
        byte[] payload = new byte[sentBytes];
        java.util.Arrays.fill(payload, (byte) ' ');
        out.write(maskedFrame(opcode, fin, declaredLength, payload));
        out.flush();
    }

    /** A masked client frame whose head announces {@code length} bytes, with {@code payload} (all or a start). */
    public static byte[] maskedFrame(int opcode, boolean fin, int length, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | (opcode & 0x0f));
        if (length < 126) {
            frame.write(0x80 | length);
        } else if (length < 65536) {
            frame.write(0x80 | 126);
            frame.write(length >>> 8);
            frame.write(length & 0xff);
        } else {
            frame.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                frame.write((int) ((long) length >>> (8 * i)) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        return frame.toByteArray();
    }

    /** One server frame: opcode and payload. */
    public record Frame(int opcode, byte[] payload) {
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** Reads the next frame, or null at end of stream. */
    public Frame readFrame() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.read();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = (in.read() << 8) | in.read();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | in.read();
            }
        }
        byte[] payload = in.readNBytes((int) len);
        return new Frame(b0 & 0x0f, payload);
    }

    /** Reads until a close frame or end of stream; returns the close code, or -1 when the socket just ended. */
    public int readUntilClose() throws IOException {
        try {
            for (Frame f = readFrame(); f != null; f = readFrame()) {
                if (f.opcode() == 0x8) {
                    return f.closeCode();
                }
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("the server did not close the connection in time", e);
        } catch (IOException e) {
            return -1; // reset by the server
        }
        return -1;
    }

    /** True when the server closed the TCP connection (read returns end of stream) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
