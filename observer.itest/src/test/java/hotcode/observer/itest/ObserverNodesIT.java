package hotcode.observer.itest;

import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * The observer across two nodes, in headless Chromium: two consoles in JVMs of their own (each Felix with the runtime,
 * the web group, the load generator and the cluster bundle), joined as one cluster on loopback with a shared secret.
 * The page of node A lists both nodes, shows node B's process table (sorted and paged on B) and one of B's processes,
 * kills it through the same POST with the page's token; a node that is unknown, that does not answer in time (its JVM
 * stopped with SIGSTOP) or that has left is named in the page's message, and the page goes on. In name order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ObserverNodesIT {
    static final String PAGE = ObserverBrowserIT.PAGE;
    static final String A = "a@observer-it";
    static final String B = "b@observer-it";

    static ObserverConsole a;
    static ObserverConsole b;
    static WebDriver driver;
    /** The process of B with the largest mailbox (loadgen:spawn's answer there): its number. */
    static long deepest;

    @BeforeClass
    public static void start() throws Exception {
        Path chromium = ObserverBrowserIT.CHROMIUM;
        Path chromedriver = ObserverBrowserIT.CHROMEDRIVER;
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            String why = "observer node tests SKIPPED: chromium or chromedriver missing (" + chromium + ", "
                    + chromedriver + "); install them with: apt-get install -y chromium chromium-driver (.ci/run does)";
            System.err.println(why);
            Assume.assumeTrue(why, false);
        }
        Path root = ObserverConsole.root();
        Path cluster = root.resolve("cluster.bundle/target/hotcode.cluster.jar");
        Path loadgen = Path.of(System.getProperty("hotcode.loadgen.jar",
                "target/hotcode.observer.itest.loadgen.jar")).toAbsolutePath();
        // ports of this run only (another run on the host has another pid), as ClusterStormIT chooses them
        int base = 11700 + (int) (ProcessHandle.current().pid() % 100) * 10;
        String name = "observer-it-" + ProcessHandle.current().pid();
        a = ObserverConsole.start(List.of(loadgen, cluster), clusterOptions(name, A, base, base));
        b = ObserverConsole.start(List.of(loadgen, cluster), clusterOptions(name, B, base + 1, base));
        awaitTrue("node A sees node B", 60, () -> a.get(PAGE + "/api/nodes?brief=1", true).body().contains(B));
        int from = b.output().length();
        b.type("loadgen:spawn 200"); // B's processes: every tenth with messages, the 100th with 5,000
        awaitTrue("loadgen:spawn 200 answered on B", 60,
                () -> Pattern.compile("<0\\.\\d+\\.0>").matcher(b.output().substring(from)).find());
        Matcher m = Pattern.compile("<0\\.(\\d+)\\.0>").matcher(b.output().substring(from));
        assertTrue(m.find());
        deepest = Long.parseLong(m.group(1));

        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100",
                "--disable-gpu");
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build(), o);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    /**
     * A node of cluster {@code name} on loopback port {@code port}, finding the others at {@code first}. The failure
     * timeout is long so that a stopped JVM stays a member while the page's request to it times out (3 s).
     */
    private static List<String> clusterOptions(String name, String node, int port, int first) {
        return List.of("-Dhotcode.cluster.name=" + name, "-Dhotcode.cluster.node=" + node,
                "-Dhotcode.cluster.secret=observer-it-secret", "-Dhotcode.cluster.port=" + port,
                "-Dhotcode.cluster.hosts=127.0.0.1[" + first + "]", "-Dhotcode.cluster.failureTimeoutMillis=30000",
                "-Xmx512m");
    }

    @AfterClass
    public static void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (b != null && b.isAlive()) {
            signal(b, "CONT"); // never left stopped behind a failed test
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    // ------------------------------------------------------------------ the nodes

    @Test
    public void n1_theNodesViewListsBothNodesWithTheirModules() throws Exception {
        open("/nodes");
        waiting(30).until(d -> cell(B, ".hc-connected").equals("yes") && cell(B, ".hc-modules").contains("loadgen"));
        assertTrue(text(By.id("hc-nodes-self")), text(By.id("hc-nodes-self")).contains("This node: " + A));
        assertTrue(rowText(A), rowText(A).contains("(this node)"));
        assertTrue(cell(A, ".hc-modules"), cell(A, ".hc-modules").contains("loadgen 1.0.0"));
        assertTrue(cell(B, ".hc-modules"), cell(B, ".hc-modules").contains("pingpong 1.0.0"));
        List<String> bCells = PageText.all(driver, "#hc-nodes tr[data-node='" + B + "'] td");
        assertEquals("B's number, the N of its pids <N.id.0> here", "1", bCells.get(0));
        assertTrue("B's incarnation: " + bCells.get(2), bCells.get(2).matches("\\d+"));
    }

    // ------------------------------------------------------------------ another node's processes

    @Test
    public void n2_theProcessesPageShowsNodeBsTableSortedThere() throws Exception {
        open("/processes?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(30).until(d -> text(By.id("hc-pageinfo")).contains("of node " + B));
        waiting(30).until(d -> !d.findElements(By.cssSelector("#hc-node option")).isEmpty());
        assertEquals("the selector shows node B", B, ((JavascriptExecutor) driver).executeScript(
                "return document.getElementById('hc-node').value;"));
        click(By.id("hc-sort-mailbox"));
        waiting(30).until(d -> "desc".equals(d.findElement(By.id("hc-processes")).getAttribute("data-dir"))
                && "5000".equals(firstCell("td.hc-mailbox")));
        assertEquals("B's deepest mailbox first (A has none so deep)", "<0." + deepest + ".0>", firstCell("td a.hc-pid"));
        String body = a.get(PAGE + "/api/processes?size=1&node=" + URLEncoder.encode(B, StandardCharsets.UTF_8), true)
                .body();
        String bOwn = b.get(PAGE + "/api/processes?size=1", true).body();
        assertEquals("the total is B's own", total(bOwn), total(body));
        assertTrue(body, body.contains("\"remote\":true"));
    }

    @Test
    public void n3_aProcessOfNodeBShowsItsInfoAndMailbox() throws Exception {
        open("/process/" + deepest + "?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(30).until(d -> d.findElements(By.cssSelector("#hc-p-messages li")).size() == 20);
        assertTrue(text(By.id("hc-p-node")), text(By.id("hc-p-node")).startsWith(B));
        assertEquals("5000", text(By.id("hc-p-mailbox")));
        assertTrue(text(By.id("hc-p-module")), text(By.id("hc-p-module")).startsWith("loadgen 1.0.0"));
        List<String> first = new ArrayList<>();
        first.addAll(PageText.all(driver, "#hc-p-messages li"));
        assertEquals(List.of("0", "1", "2"), first.subList(0, 3));
        assertTrue("suspend and resume are this node's only",
                driver.findElements(By.id("hc-suspend")).isEmpty());
    }

    @Test
    public void n4_killOfAProcessOfNodeBIsPostWithTheTokenAndThenItHasExited() throws Exception {
        String pid = "<0." + deepest + ".0>";
        assertEquals("without the page's token", 403, kill(pid, B, null).statusCode());
        open("/process/" + deepest + "?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(30).until(d -> !d.findElements(By.id("hc-kill")).isEmpty());
        click(By.id("hc-kill"));
        waiting(10).until(ExpectedConditions.alertIsPresent()).accept();
        waiting(30).until(d -> text(By.id("hc-message")).contains("sent kill to " + pid + " on node " + B));
        waiting(30).until(d -> !d.findElements(By.id("hc-notfound")).isEmpty()
                && text(By.id("hc-notfound")).contains("process " + pid + " has exited on node " + B));
        awaitTrue(pid + " is gone on B itself", 30,
                () -> b.get(PAGE + "/api/process/" + deepest, true).statusCode() == 404);
        String token = token();
        HttpResponse<String> again = kill(pid, B, token);
        assertEquals(again.body(), 410, again.statusCode());
        assertTrue(again.body(), again.body().contains("has exited on node " + B));
        HttpResponse<String> suspend = post("/api/suspend", "pid=" + enc(pid) + "&node=" + enc(B), token);
        assertEquals(suspend.body(), 400, suspend.statusCode());
    }

    // ------------------------------------------------------------------ bad input: unknown node, slow node, node gone

    @Test
    public void n5_anUnknownNodeIsNamed() throws Exception {
        open("/processes?node=nosuch%40nowhere");
        waiting(30).until(d -> text(By.id("hc-message")).contains("node nosuch@nowhere is not connected"));
        open("/process/1?node=nosuch%40nowhere");
        waiting(30).until(d -> text(By.id("hc-notfound")).contains("nosuch@nowhere"));
        assertEquals(503, a.get(PAGE + "/api/process/1?node=nosuch%40nowhere", true).statusCode());
    }

    @Test
    public void n6_aNodeThatDoesNotAnswerIsNamedAndThePageGoesOn() throws Exception {
        open("/processes?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(30).until(d -> text(By.id("hc-pageinfo")).contains("of node " + B));
        signal(b, "STOP");
        try {
            waiting(30).until(d -> text(By.id("hc-message")).contains("node " + B + " did not answer within"));
            assertTrue("the last table stays", text(By.id("hc-pageinfo")).contains("of node " + B));
            open("/nodes");
            waiting(30).until(d -> cell(B, ".hc-modules").contains("did not answer within"));
            assertTrue(cell(A, ".hc-modules"), cell(A, ".hc-modules").contains("loadgen"));
            open("/processes");
            waiting(30).until(d -> text(By.id("hc-pageinfo")).contains("processes;")); // A's own, at once
        } finally {
            signal(b, "CONT");
        }
        open("/processes?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(60).until(d -> text(By.id("hc-pageinfo")).contains("of node " + B));
    }

    @Test
    public void n7_aNodeThatLeftIsNamedAndListedAsNotConnected() throws Exception {
        b.close();
        awaitTrue("node A sees node B leave", 60, () -> !a.get(PAGE + "/api/nodes?brief=1", true).body().contains(B));
        open("/processes?node=" + URLEncoder.encode(B, StandardCharsets.UTF_8));
        waiting(30).until(d -> text(By.id("hc-message")).contains("node " + B + " is not connected"));
        open("/nodes");
        waiting(30).until(d -> cell(B, ".hc-connected").equals("no"));
        assertTrue(cell(B, ".hc-modules"), cell(B, ".hc-modules").contains("not connected"));
    }

    // ------------------------------------------------------------------ helpers

    private static void open(String path) {
        driver.get(a.browserUrl(PAGE + path));
    }

    private static WebDriverWait waiting(int seconds) {
        return PageText.waiting(driver, seconds);
    }

    private static void click(By by) {
        PageText.click(driver, by);
    }

    /** The element's text, "" while the page does not show it. */
    private static String text(By by) {
        return PageText.afresh(() -> {
            List<WebElement> e = driver.findElements(by);
            return e.isEmpty() ? "" : e.get(0).getText();
        });
    }

    private static String rowText(String node) {
        return text(By.cssSelector("#hc-nodes tr[data-node='" + node + "']"));
    }

    private static String cell(String node, String css) {
        return text(By.cssSelector("#hc-nodes tr[data-node='" + node + "'] td" + css));
    }

    private static String firstCell(String css) {
        return text(By.cssSelector("#hc-processes tbody tr:first-child " + css));
    }

    private static long total(String body) {
        Matcher m = Pattern.compile("\"total\":(\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String token() {
        open("/processes");
        return (String) ((JavascriptExecutor) driver).executeScript(
                "return document.getElementById('hotcode-observer').getAttribute('data-token');");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> kill(String pid, String node, String token) throws Exception {
        return post("/api/kill", "pid=" + enc(pid) + "&node=" + enc(node), token);
    }

    private static HttpResponse<String> post(String action, String form, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(a.base() + PAGE + action))
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", ObserverConsole.basic(ObserverConsole.USER, ObserverConsole.PASSWORD));
        if (token != null) {
            r.header("X-Hotcode-Token", token);
        }
        return a.send(r);
    }

    /** Sends SIGSTOP or SIGCONT to a console's JVM: a node that stops answering, then answers again. */
    private static void signal(ObserverConsole c, String sig) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(c.pid())).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("kill -" + sig + " " + c.pid() + " failed");
        }
    }

    private static void awaitTrue(String what, int seconds, Callable<Boolean> c) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (c.call()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("not within " + seconds + " s: " + what + "\nnode A:\n" + (a == null ? "" : a.output())
                + "\nnode B:\n" + (b == null ? "" : b.output()));
    }
}
