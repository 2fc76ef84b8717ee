package dev.improv.load.peers;

import com.corundumstudio.socketio.Configuration;
import com.corundumstudio.socketio.SocketConfig;
import com.corundumstudio.socketio.SocketIOClient;
import com.corundumstudio.socketio.SocketIOServer;
import com.corundumstudio.socketio.Transport;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * netty-socketio with our room semantics: {@code join {room, id}} puts the socket in a room and answers
 * {@code welcome}; {@code prompt} and {@code mark} go to the rest of the room (sender excluded); {@code signal
 * {to, ...}} goes to that one peer with {@code from} added. Payloads are decoded to maps and encoded again by
 * netty-socketio's Jackson support, as an application written with it would.
 */
public final class SocketIoRoomServer {
    private static final String ROOM = "room";
    private static final String ID = "id";

    private final SocketIOServer server;
    /** "room/peer" to socket; any thread. */
    private final Map<String, SocketIOClient> peers = new ConcurrentHashMap<>();

    private SocketIoRoomServer(String host, int port, int workerThreads) {
        Configuration config = new Configuration();
        config.setHostname(host);
        config.setPort(port);
        config.setTransports(Transport.WEBSOCKET);
        config.setWorkerThreads(workerThreads);
        config.setUseLinuxNativeEpoll(true);
        SocketConfig socket = new SocketConfig();
        socket.setTcpNoDelay(true);
        socket.setReuseAddress(true);
        socket.setAcceptBackLog(4096);
        config.setSocketConfig(socket);
        server = new SocketIOServer(config);
        server.addEventListener("join", Map.class, (client, data, ack) -> {
            String room = String.valueOf(data.get(ROOM));
            String id = String.valueOf(data.get(ID));
            client.set(ROOM, room);
            client.set(ID, id);
            client.joinRoom(room);
            peers.put(room + "/" + id, client);
            client.sendEvent("welcome", Map.of(ID, id));
        });
        server.addEventListener("prompt", Map.class, (client, data, ack) -> toRoom(client, "prompt", data));
        server.addEventListener("mark", Map.class, (client, data, ack) -> toRoom(client, "mark", data));
        server.addEventListener("signal", Map.class, (client, data, ack) -> {
            String room = client.get(ROOM);
            SocketIOClient to = room == null ? null : peers.get(room + "/" + data.get("to"));
            if (to != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> relayed = new LinkedHashMap<>((Map<String, Object>) data);
                relayed.put("from", client.get(ID));
                to.sendEvent("signal", relayed);
            }
        });
        server.addDisconnectListener(client -> {
            String room = client.get(ROOM);
            if (room != null) {
                peers.remove(room + "/" + client.get(ID), client);
            }
        });
    }

    private void toRoom(SocketIOClient from, String event, Object data) {
        String room = from.get(ROOM);
        if (room != null) {
            server.getRoomOperations(room).sendEvent(event, from, data);
        }
    }

    public static SocketIoRoomServer start(String host, int port, int workerThreads) {
        SocketIoRoomServer s = new SocketIoRoomServer(host, port, workerThreads);
        s.server.start();
        return s;
    }

    public void close() {
        server.stop();
    }

    public static void main(String[] argv) {
        String host = "127.0.0.1";
        int port = 8082;
        int threads = 0;
        for (int i = 0; i + 1 < argv.length; i += 2) {
            switch (argv[i]) {
                case "--host" -> host = argv[i + 1];
                case "--port" -> port = Integer.parseInt(argv[i + 1]);
                case "--io-threads" -> threads = Integer.parseInt(argv[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + argv[i]);
            }
        }
        SocketIoRoomServer s = start(host, port, threads);
        System.out.println("socket.io room server listening on port " + port);
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "shutdown"));
    }
}
