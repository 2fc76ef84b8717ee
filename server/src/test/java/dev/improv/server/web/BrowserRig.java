package dev.improv.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.app.ServerApp;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.RemoteWebDriver;

/**
 * One server, one Chromium (Debian's, driven by its chromedriver) and one network namespace for a browser test
 * class. Chromium runs inside a namespace the rig creates, joined to the host by a veth pair: WebRTC then only
 * finds the namespace's loopback and veth addresses, so no test traffic goes to the machine's real interfaces.
 * The server listens on the host end of the veth pair only. Needs root and iproute2; otherwise the tests are
 * skipped with the reason (and fail in CI, where a skip would hide a broken setup).
 *
 * <p>A test class registers one as a JUnit extension, which starts it before the class's tests, saves each page's
 * console and closes the windows after each test, and stops everything after the last:
 * <pre>{@code
 * @RegisterExtension
 * static final BrowserRig rig = BrowserRig.perClass("--session-log");  // more server flags, if any
 * }</pre>
 */
final class BrowserRig implements AutoCloseable, BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final int DRIVER_PORT = 9515;

    private final String netns;
    private final String hostIf;
    final String hostIp;
    final String nsIp;
    private final List<String> serverFlags;
    private BrowserArgs browserArgs = folder -> List.of();
    private String consolePrefix = "";
    private Path folder;
    private Path dataDir;
    private Path profileDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ServerApp server;
    private List<String> serverArgs;
    private Process driverProcess;
    private final List<Process> helpers = new ArrayList<>();
    private RemoteWebDriver driver;
    private String blankWindow;

    private BrowserRig(String... serverFlags) {
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        this.netns = "ivw" + tag;
        this.hostIf = "ivw" + tag + "a";
        int a = 200 + ThreadLocalRandom.current().nextInt(50);
        int b = ThreadLocalRandom.current().nextInt(256);
        this.hostIp = "10." + a + "." + b + ".1";
        this.nsIp = "10." + a + "." + b + ".2";
        this.serverFlags = List.of(serverFlags);
    }

    /** A rig for one test class; {@code serverFlags} are more server flags. Register it with {@code @RegisterExtension}. */
    static BrowserRig perClass(String... serverFlags) {
        return new BrowserRig(serverFlags);
    }

    /** More Chromium flags, made in the rig's own folder before the browser starts (e.g. a WAV as the fake microphone). */
    BrowserRig browserArgs(BrowserArgs args) {
        this.browserArgs = args;
        return this;
    }

    /** What goes before the test method's name in the saved console file's name. */
    BrowserRig consolePrefix(String prefix) {
        this.consolePrefix = prefix;
        return this;
    }

    /** Chromium flags that need the rig's folder to exist first. */
    @FunctionalInterface
    interface BrowserArgs {
        List<String> in(Path folder) throws IOException;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        requireInCi(Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)),
                "browser tests need Debian's chromium and chromium-driver: run scripts/install-test-deps.sh");
        requireInCi(run(List.of("ip", "netns", "list")) == 0 && "root".equals(System.getProperty("user.name")),
                "browser tests need root and iproute2 to put Chromium into its own network namespace");
        folder = Files.createTempDirectory("improv-browser-rig-");
        dataDir = Files.createDirectories(folder.resolve("data"));
        profileDir = Files.createDirectories(folder.resolve("chromium-profile"));
        try {
            network();
            server(serverFlags.toArray(String[]::new));
            browser(browserArgs.in(folder));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (driver != null) {
            String name = consolePrefix + context.getRequiredTestMethod().getName();
            String console = saveConsole(name);
            if (context.getExecutionException().isPresent()) {
                // CI keeps only the build's output: what the pages saw goes there, not only into target/
                System.out.println("---- " + name + " failed; what each page saw:\n"
                        + (console.length() > 12_000 ? console.substring(console.length() - 12_000) : console));
                for (String handle : driver.getWindowHandles()) {
                    if (!handle.equals(blankWindow)) {
                        screenshot(handle, name + "-failed-" + Math.abs(handle.hashCode()));
                    }
                }
            }
            closeWindows();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
        if (folder != null) {
            try (var paths = Files.walk(folder)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder left behind is not a test failure
            }
        }
    }

    /** Skips a developer's run that lacks the tools, but fails in CI, where a skip would hide a broken setup. */
    static void requireInCi(boolean ok, String why) {
        if (System.getenv("CI") != null) {
            org.junit.jupiter.api.Assertions.assertTrue(ok, why);
        }
        Assumptions.assumeTrue(ok, why);
    }

    private void network() throws IOException, InterruptedException {
        String nsIf = hostIf.substring(0, hostIf.length() - 1) + "b";
        must(List.of("ip", "netns", "add", netns));
        must(List.of("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf));
        must(List.of("ip", "link", "set", nsIf, "netns", netns));
        must(List.of("ip", "addr", "add", hostIp + "/30", "dev", hostIf));
        must(List.of("ip", "link", "set", hostIf, "up"));
        must(List.of("ip", "netns", "exec", netns, "ip", "addr", "add", nsIp + "/30", "dev", nsIf));
        must(List.of("ip", "netns", "exec", netns, "ip", "link", "set", nsIf, "up"));
        must(List.of("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"));
        // IPv4 only inside: fewer ICE candidates to try, nothing else changes
        run(List.of("ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"));
    }

    private void server(String... extraArgs) throws Exception {
        // The pages come from http://hostIp:port, which is not loopback: the server accepts WebSockets from its
        // configured public origin only, so the rig names it (a free port is taken first to know the origin).
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(hostIp))) {
            port = probe.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("--host", hostIp, "--port", Integer.toString(port),
                "--public-url", "http://" + hostIp + ":" + port, "--data-dir", dataDir.toString(),
                "--admin-key", "test-admin-key", "--shutdown-grace-ms", "1000",
                "--max-messages-per-second", "200", "--message-burst", "400"));
        if (!List.of(extraArgs).contains("--session-log")) {
            args.add("--no-session-log"); // most browser tests need no log; a restart test asks for it
        }
        args.addAll(List.of(extraArgs));
        serverArgs = List.copyOf(args);
        server = ServerApp.start(ServerCommand.parse(args.toArray(String[]::new)).toConfig());
    }

    /** Stops the server as a deploy does (a clean stop: members are told, the log is flushed). */
    void stopServer() {
        server.close();
    }

    /** Starts the server again with the same flags: same address, port, data dir and keys (old links work). */
    void startServerAgain() throws Exception {
        server = ServerApp.start(ServerCommand.parse(serverArgs.toArray(String[]::new)).toConfig());
    }

    private void browser(List<String> browserArgs) throws Exception {
        driverProcess = new ProcessBuilder("ip", "netns", "exec", netns, CHROMEDRIVER, "--port=" + DRIVER_PORT,
                "--allowed-ips=" + hostIp, "--log-level=WARNING")
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("chromedriver.log").toFile())
                .start();
        URI status = URI.create("http://" + nsIp + ":" + DRIVER_PORT + "/status");
        Awaitility.await("chromedriver in " + netns).atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> http.send(HttpRequest.newBuilder(status).build(),
                        HttpResponse.BodyHandlers.ofString()).body().contains("\"ready\":true"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                "--user-data-dir=" + profileDir,
                // 10 frames a second from the fake camera, not 30: the tests check that video flows, decodes and
                // survives reconnects, never its frame rate, and with 3-4 windows each encoding and decoding 640x480
                // the renderers were what made every WebDriver call slow: two WebClientBrowserTest tests took 310 s
                // of Chromium CPU and 163 s at 30 fps, 131 s and 97 s at 10 (same load, back to back)
                "--use-fake-device-for-media-stream=fps=10", "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--window-size=1280,900",
                // camera, microphone and audio worklets need a secure context; plain http is one only on localhost
                "--unsafely-treat-insecure-origin-as-secure=" + base());
        options.addArguments(browserArgs);
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        driver = new RemoteWebDriver(new URL("http://" + nsIp + ":" + DRIVER_PORT), options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        // generous: at load 25 on the shared box a window resize waited 20 s for a busy renderer
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        blankWindow = driver.getWindowHandle();
    }

    String base() {
        return "http://" + hostIp + ":" + server.port();
    }

    ServerApp server() {
        return server;
    }

    RemoteWebDriver driver() {
        return driver;
    }

    /** Starts a helper program (e.g. a TURN server) inside the browser's network namespace; stopped on close. */
    Process startInNamespace(String logName, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(dataDir.resolve(logName).toFile()).start();
        helpers.add(p);
        return p;
    }

    /** Takes the browser's network link down or up again (a cut network: connections stall, nothing is refused). */
    void browserLink(boolean up) throws IOException, InterruptedException {
        String nsIf = hostIf.substring(0, hostIf.length() - 1) + "b";
        must(List.of("ip", "netns", "exec", netns, "ip", "link", "set", nsIf, up ? "up" : "down"));
    }

    Path dataDir() {
        return dataDir;
    }

    /** POST /api/rooms with the admin key. */
    JsonNode createRoom(String json) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/rooms"))
                .header("Authorization", "Bearer test-admin-key").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("room not created: " + r.statusCode() + " " + r.body());
        }
        return ProtocolCodec.mapper().readTree(r.body());
    }

    /** An admin API call (any method) with the admin key; returns the response whatever its status. */
    HttpResponse<String> admin(String method, String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base() + path))
                .header("Authorization", "Bearer test-admin-key").timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The WebSocket URL of a createRoom answer's link, on this rig's address (for Java clients in the room). */
    String roomSocketUrl(JsonNode created, JsonNode link) {
        return "ws://" + hostIp + ":" + server.port() + "/ws/rooms/" + created.path("room").path("id").asText()
                + "?token=" + link.path("token").asText();
    }

    /** The page URL of a link of a createRoom answer, on this rig's address. */
    String pageUrl(JsonNode link) {
        String url = link.path("url").asText();
        return base() + url.substring(url.indexOf('/', url.indexOf("//") + 2));
    }

    /** Opens a URL in a new window; returns the window's handle. Windows (unlike tabs) are never hidden. */
    String open(String url) {
        driver.switchTo().newWindow(WindowType.WINDOW);
        driver.get(url);
        return driver.getWindowHandle();
    }

    /** Switches to a window and returns the driver. */
    WebDriver on(String window) {
        return driver.switchTo().window(window);
    }

    /** A Chrome DevTools Protocol command on a window's page (chromedriver's goog/cdp endpoint): its result. */
    JsonNode cdp(String window, String command) throws IOException, InterruptedException {
        on(window);
        URI uri = URI.create("http://" + nsIp + ":" + DRIVER_PORT + "/session/" + driver.getSessionId()
                + "/goog/cdp/execute");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":\"" + command
                        + "\",\"params\":{}}")).build(), HttpResponse.BodyHandlers.ofString());
        return ProtocolCodec.mapper().readTree(r.body()).path("value");
    }

    Object js(String window, String script, Object... args) {
        on(window);
        return driver.executeScript(script, args);
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> stats(String window) {
        on(window);
        return (List<Map<String, Object>>) driver.executeAsyncScript(
                "const done = arguments[arguments.length - 1]; window.improv.stats().then(done, e => done([]));");
    }

    void screenshot(String window, String name) throws IOException {
        on(window);
        Path dir = Files.createDirectories(Path.of("target", "screenshots"));
        Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** The target's place on the screen, as "x,y,w,h" (rounded to whole pixels). */
    private static final String RECT = "const r = arguments[0].getBoundingClientRect();"
            + " return [r.x, r.y, r.width, r.height].map(Math.round).join(',');";

    /** What moved on the page lately (layout shifts, newest last): for the report of a missed click. */
    private static final String SHIFTS = "return new Promise(done => { const out = [];"
            + " new PerformanceObserver(l => { for (const e of l.getEntries()) { out.push(Math.round(e.startTime) + 'ms '"
            + " + e.sources.map(s => (s.node && (s.node.id || s.node.nodeName)) + ' ' + JSON.stringify(s.previousRect)"
            + " + '->' + JSON.stringify(s.currentRect)).join('; ')); } }).observe({ type: 'layout-shift', buffered: true });"
            + " setTimeout(() => done(out.slice(-6).join(' | ') + ' (now ' + Math.round(performance.now()) + 'ms)'), 50); });";

    /**
     * A person's click: bring the target into view, wait until it stops moving (a person aims at a button that
     * stands still: the console's layout moves while rows, pills and tiles fill in), move there, press, hold about
     * 100 ms, release (a script's instant click hides lost clicks). Fails when the click did not land on the target
     * (the page moved under the pointer, or something covered it): a person would have missed it too, and a lost
     * click otherwise shows up only as a timeout much later; the failure names what moved.
     */
    void humanClick(org.openqa.selenium.WebElement target) {
        driver.executeScript("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });", target);
        String[] place = {String.valueOf(driver.executeScript(RECT, target))};
        int[] stillFor = {0};
        Awaitility.await("#" + target.getAttribute("id") + " stands still").atMost(10, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    String now = String.valueOf(driver.executeScript(RECT, target));
                    stillFor[0] = now.equals(place[0]) ? stillFor[0] + 1 : 0;
                    place[0] = now;
                    // about a third of a second, as a person aims (150 ms polls made the browser suite the CI's
                    // longest path: it runs one class at a time, and NegotiationBrowserTest alone clicks 120 times)
                    return stillFor[0] >= 3;
                });
        driver.executeScript("const t = arguments[0]; window.__humanClick = 'no click event';"
                + " document.addEventListener('click', e => { window.__humanClick = t.contains(e.target) ? 'on target'"
                + " : 'on ' + e.target.tagName + (e.target.id ? '#' + e.target.id : '') + ' at ' + e.clientX + ','"
                + " + e.clientY + ', the target now at ' + JSON.stringify(t.getBoundingClientRect()); },"
                + " { once: true, capture: true });", target);
        new org.openqa.selenium.interactions.Actions(driver).moveToElement(target).pause(Duration.ofMillis(120))
                .clickAndHold().pause(Duration.ofMillis(100)).release().perform();
        try {
            driver.switchTo().alert(); // the click opened a dialog (a confirm): it landed; the test answers it
            return;
        } catch (org.openqa.selenium.NoAlertPresentException none) {
            // no dialog: ask the page where the click went
        }
        Object landed = driver.executeScript("return window.__humanClick");
        if (landed != null && !"on target".equals(landed)) { // null: the click took the window to another page
            throw new AssertionError("the click meant for " + target.getTagName() + "#" + target.getAttribute("id")
                    + " at " + place[0] + " landed " + landed + "; what moved: " + driver.executeScript(SHIFTS));
        }
    }

    /**
     * Takes a stage page that shows its Join button through the pre-join check onto the stage: Join, wait until
     * the check has the devices (asked for only once the room accepted the join), then "Go on stage".
     */
    void joinThroughCheck(String window) {
        humanClick(on(window).findElement(org.openqa.selenium.By.id("join-button")));
        awaitCheck(window);
        goOnStage(window);
    }

    /** Waits until the pre-join check offers "Go on stage" (devices open, level meter running). */
    void awaitCheck(String window) {
        Awaitility.await("the pre-join check is ready").atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> "check".equals(js(window, "return window.improv.phase()"))
                        && on(window).findElement(org.openqa.selenium.By.id("go")).isEnabled());
    }

    void goOnStage(String window) {
        humanClick(on(window).findElement(org.openqa.selenium.By.id("go")));
        Awaitility.await("on stage").atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> "stage".equals(js(window, "return window.improv.phase()")));
    }

    /** Where scripts/install-test-deps.sh puts axe-core (npm, pinned in src/test/a11y/package-lock.json). */
    static final Path AXE = Path.of("src", "test", "a11y", "node_modules", "axe-core", "axe.min.js");

    /**
     * Runs axe-core in a window's page (loaded into the page by the test, never served by the server) and
     * returns its violations as {id, impact, help, nodes: ["selector: summary", …]}.
     */
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> axe(String window) throws IOException {
        requireInCi(Files.isRegularFile(AXE), "the accessibility check needs axe-core: run scripts/install-test-deps.sh");
        on(window);
        if (!Boolean.TRUE.equals(driver.executeScript("return typeof window.axe === 'object'"))) {
            driver.executeScript(Files.readString(AXE));
        }
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(90));
        try {
            return (List<Map<String, Object>>) driver.executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    axe.run(document, { resultTypes: ['violations'], restoreScroll: true }).then(r => done(r.violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))
                    }))), e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));
                    """);
        } finally {
            driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        }
    }

    /** Phone and laptop sizes the pages are checked at (issue 14). */
    static final List<org.openqa.selenium.Dimension> SIZES = List.of(new org.openqa.selenium.Dimension(390, 844),
            new org.openqa.selenium.Dimension(1366, 768));

    /** Screenshots of a window at the phone and the laptop size: target/screenshots/{name}-{w}x{h}.png. */
    /** Screenshots at each size, from the top of the page (where a person opening it starts). */
    void screenshotSizes(String window, String name) throws IOException {
        atSizes(window, size -> {
            driver.executeScript("window.scrollTo(0, 0)");
            screenshot(window, name + "-" + size.getWidth() + "x" + size.getHeight());
        });
    }

    /** Something to do in a window at each of {@link #SIZES}; the window gets its old size back afterwards. */
    interface AtSize {
        void run(org.openqa.selenium.Dimension size) throws IOException;
    }

    /** Sizes the window so that the page itself (the viewport, without the browser's frame) is {@code size}. */
    void viewport(org.openqa.selenium.Dimension size) {
        driver.manage().window().setSize(size);
        Map<?, ?> inner = (Map<?, ?>) driver.executeScript("return {w: window.innerWidth, h: window.innerHeight}");
        int dw = size.getWidth() - ((Number) inner.get("w")).intValue();
        int dh = size.getHeight() - ((Number) inner.get("h")).intValue();
        if (dw != 0 || dh != 0) {
            driver.manage().window().setSize(new org.openqa.selenium.Dimension(size.getWidth() + dw,
                    size.getHeight() + dh));
        }
    }

    void atSizes(String window, AtSize action) throws IOException {
        on(window);
        org.openqa.selenium.Dimension before = driver.manage().window().getSize();
        try {
            for (org.openqa.selenium.Dimension size : SIZES) {
                viewport(size);
                try {
                    Thread.sleep(500); // one layout and a video frame at the new size
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                action.run(size);
            }
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    /** What a page tells about its protocol state, where it exposes it ({@code window.improv}), as JSON. */
    private static final String PAGE_STATE = "const i = window.improv; if (!i) return null; const out = {};"
            + " for (const k of ['phase', 'state', 'lastSeq', 'prompt', 'unacked', 'sentLog', 'refusals', 'events', 'welcomes']) {"
            + " if (typeof i[k] === 'function') { try { out[k] = i[k](); } catch (e) { out[k] = String(e); } } }"
            + " if (Array.isArray(out.welcomes)) out.welcomes = out.welcomes.map(w => ({ seq: w.seq, replayFrom: w.replayFrom }));"
            + " out.banner = (document.getElementById('banner') || {}).textContent;"
            + " out.connState = (document.getElementById('conn-state') || {}).textContent;"
            + " return JSON.stringify(out).slice(0, 4000);";

    /**
     * Saves each window's console output and protocol state to target/screenshots/{name}-console.log, for
     * failures; returns what it saved.
     */
    String saveConsole(String name) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String handle : driver.getWindowHandles()) {
            driver.switchTo().window(handle);
            out.append("== ").append(driver.getCurrentUrl()).append('\n');
            try {
                out.append("state ").append(driver.executeScript(PAGE_STATE)).append('\n');
            } catch (RuntimeException e) {
                out.append("state unreadable: ").append(e.getMessage()).append('\n');
            }
            driver.manage().logs().get("browser").forEach(e -> out.append(e.getLevel()).append(' ')
                    .append(e.getMessage()).append('\n'));
        }
        Path dir = Files.createDirectories(Path.of("target", "screenshots"));
        Files.writeString(dir.resolve(name + "-console.log"), out);
        return out.toString();
    }

    /** Closes one window (ends its WebRTC and socket) and goes back to the blank one. */
    void close(String window) {
        driver.switchTo().window(window).close();
        driver.switchTo().window(blankWindow);
    }

    /** Closes every window but the first blank one (ends their WebRTC and sockets). */
    void closeWindows() {
        for (String handle : driver.getWindowHandles()) {
            if (!handle.equals(blankWindow)) {
                driver.switchTo().window(handle).close();
            }
        }
        driver.switchTo().window(blankWindow);
    }

    @Override
    public void close() {
        if (driver != null) {
            try {
                driver.quit();
            } catch (RuntimeException ignored) {
                // the browser may be gone already
            }
        }
        for (Process helper : helpers) {
            helper.destroy();
            try {
                if (!helper.waitFor(5, TimeUnit.SECONDS)) {
                    helper.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (driverProcess != null) {
            driverProcess.destroy();
            try {
                if (!driverProcess.waitFor(5, TimeUnit.SECONDS)) {
                    driverProcess.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (server != null) {
            server.close();
        }
        try {
            run(List.of("ip", "netns", "del", netns)); // also removes the veth pair
        } catch (IOException | InterruptedException ignored) {
            // nothing more to do
        }
    }

    private static void must(List<String> command) throws IOException, InterruptedException {
        if (run(command) != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
