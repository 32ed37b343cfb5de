/*
 * The shop's Java services (catalogue, carts, orders): the JDK's com.sun.net.httpserver.HttpServer
 * with a fixed pool of worker threads (like Tomcat's http-nio exec threads), a hand-rolled tracer
 * that reads and writes W3C traceparent, and RESP over a socket to redis (no client library).
 *
 *   catalogue  GET /catalogue/{id}                 -> catalogue-db GET
 *              GET /health                         -> catalogue-db PING
 *   carts      GET /carts/{id}/merge               -> carts-db GET, SET, DEL
 *              GET /carts/{id}/items               -> carts-db LRANGE
 *   orders     GET /orders/search/customerId       -> orders-db LRANGE
 *              POST /orders                        -> in parallel, a new thread per call (Spring's
 *                                                     @Async): user /addresses/{a}, /customers/{c},
 *                                                     /cards/{k}, carts /carts/{c}/items; then
 *                                                     payment POST /paymentAuth; orders-db RPUSH
 *
 * Spans (Sleuth's names: "http:/route" for server spans, the route for client spans) carry
 * thread.id, the OS thread id read once per thread from /proc/thread-self (ground truth only).
 * GET /__spans hands the finished spans over as OTLP JSON and forgets them (not traced).
 *
 * Environment: SHOP_SERVICE, SHOP_INSTANCE, SHOP_HOST, SHOP_PORT, SHOP_SEED, SHOP_PEERS (JSON
 * object: service -> ["127.0.0.1:port", ...]), SHOP_WORKERS (pool size, default 10).
 */
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class ShopService {
  static final String SERVICE = System.getenv("SHOP_SERVICE");
  static final String INSTANCE = System.getenv("SHOP_INSTANCE");
  static final String HOST = System.getenv("SHOP_HOST");
  static final String SEED = System.getenv("SHOP_SEED");
  static final Map<String, List<String>> PEERS = parsePeers(System.getenv("SHOP_PEERS"));
  static final long PID = ProcessHandle.current().pid();
  static final AtomicLong ids = new AtomicLong();
  static final Map<String, AtomicLong> turns = new HashMap<>();
  static final List<String> finished = new ArrayList<>();

  /** The OS thread id, read once per thread: /proc/thread-self links to "PID/task/TID". */
  static final ThreadLocal<Long> TID = ThreadLocal.withInitial(() -> {
    try {
      return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/thread-self", e);
    }
  });

  /** The span a thread is serving, so client spans find their parent. */
  static final ThreadLocal<Span> CURRENT = new ThreadLocal<>();

  static final class Span {
    final String traceId, spanId, parentId, name;
    final int kind; // OTLP: 2 server, 3 client
    final long startNs;
    final long tid = TID.get();

    Span(String traceId, String parentId, String name, int kind) {
      this.traceId = traceId;
      this.spanId = nextId(16);
      this.parentId = parentId;
      this.name = name;
      this.kind = kind;
      this.startNs = nowNs();
    }

    void end(int status) {
      long endNs = nowNs();
      String json = String.format(
          "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"parentSpanId\":\"%s\",\"name\":\"%s\",\"kind\":%d,"
              + "\"startTimeUnixNano\":\"%d\",\"endTimeUnixNano\":\"%d\",\"attributes\":["
              + "{\"key\":\"thread.id\",\"value\":{\"intValue\":\"%d\"}},"
              + "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%d\"}}]}",
          traceId, spanId, parentId, name, kind, startNs, endNs, tid, status);
      synchronized (finished) {
        finished.add(json);
      }
    }
  }

  static long nowNs() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Seeded ids: SHA-256 of (seed, instance, counter), cut to hexChars. */
  static String nextId(int hexChars) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest((SEED + ":" + INSTANCE + ":" + ids.getAndIncrement()).getBytes(StandardCharsets.UTF_8));
      StringBuilder s = new StringBuilder();
      for (int i = 0; s.length() < hexChars; i++) s.append(String.format("%02x", d[i]));
      return s.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The next replica of a service, round robin. */
  static String peer(String service) {
    List<String> list = PEERS.get(service);
    if (list == null) throw new IllegalStateException("no peer " + service);
    AtomicLong turn;
    synchronized (turns) {
      turn = turns.computeIfAbsent(service, k -> new AtomicLong());
    }
    return list.get((int) (turn.getAndIncrement() % list.size()));
  }

  /** An HTTP call downstream under a client span, traceparent set; returns the body. */
  static String call(String service, String method, String path, String route) throws IOException {
    Span parent = CURRENT.get();
    Span span = new Span(parent.traceId, parent.spanId, route, 3);
    HttpURLConnection c = (HttpURLConnection) new URL("http://" + peer(service) + path).openConnection();
    c.setRequestMethod(method);
    c.setRequestProperty("traceparent", "00-" + span.traceId + "-" + span.spanId + "-01");
    if (method.equals("POST")) {
      c.setDoOutput(true);
      try (OutputStream out = c.getOutputStream()) {
        out.write("{}".getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    String body;
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    span.end(status);
    if (status >= 400) throw new IOException(service + " " + path + ": " + status);
    return body;
  }

  /** Redis commands on a new connection (RESP); returns the raw replies. */
  static String redis(String service, String... commands) throws IOException {
    String[] hp = peer(service).split(":");
    StringBuilder wire = new StringBuilder();
    for (String command : commands) {
      String[] args = command.split(" ");
      wire.append('*').append(args.length).append("\r\n");
      for (String a : args) wire.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
      s.getOutputStream().write(wire.toString().getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  interface Handler {
    String handle(Matcher m) throws Exception;
  }

  record Route(String method, Pattern pattern, String name, Handler handler) {}

  static List<Route> routes() {
    List<Route> r = new ArrayList<>();
    switch (SERVICE) {
      case "catalogue" -> {
        r.add(new Route("GET", Pattern.compile("/catalogue/(\\w+)"), "http:/catalogue/{id}", m -> redis("catalogue-db", "GET sock:" + m.group(1))));
        r.add(new Route("GET", Pattern.compile("/health"), "GET /health", m -> redis("catalogue-db", "PING")));
      }
      case "carts" -> {
        r.add(new Route("GET", Pattern.compile("/carts/(\\w+)/merge"), "http:/carts/{id}/merge",
            m -> redis("carts-db", "GET cart:s1", "SET cart:" + m.group(1) + " merged", "DEL cart:s1")));
        r.add(new Route("GET", Pattern.compile("/carts/(\\w+)/items"), "http:/carts/{id}/items", m -> redis("carts-db", "LRANGE items:" + m.group(1) + " 0 -1")));
      }
      case "orders" -> {
        r.add(new Route("GET", Pattern.compile("/orders/search/customerId"), "http:/orders/search/customerId", m -> redis("orders-db", "LRANGE orders:c1 0 -1")));
        r.add(new Route("POST", Pattern.compile("/orders"), "http:/orders", m -> newOrder()));
      }
      default -> throw new IllegalStateException("unknown Java service " + SERVICE);
    }
    return r;
  }

  /** POST /orders: four @Async calls on new threads, then payment, then the save. */
  static String newOrder() throws Exception {
    Span parent = CURRENT.get();
    String[][] calls = {
      {"user", "/addresses/a1", "GET /addresses/{id}"},
      {"user", "/customers/c1", "GET /customers/{id}"},
      {"user", "/cards/k1", "GET /cards/{id}"},
      {"carts", "/carts/c1/items", "GET /carts/{id}/items"},
    };
    Thread[] threads = new Thread[calls.length];
    Exception[] failed = new Exception[1];
    for (int i = 0; i < calls.length; i++) {
      String[] c = calls[i];
      threads[i] = new Thread(() -> {
        CURRENT.set(parent);
        try {
          call(c[0], "GET", c[1], c[2]);
        } catch (Exception e) {
          synchronized (failed) {
            failed[0] = e;
          }
        }
      }, "async-" + i);
      threads[i].start();
    }
    for (Thread t : threads) t.join();
    if (failed[0] != null) throw failed[0];
    call("payment", "POST", "/paymentAuth", "POST /paymentAuth");
    return redis("orders-db", "RPUSH orders:c1 o1");
  }

  static void serve(HttpExchange ex, List<Route> routes) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (path.equals("/__spans")) {
      String body;
      synchronized (finished) {
        body = otlp(finished);
        finished.clear();
      }
      reply(ex, 200, body);
      return;
    }
    ex.getRequestBody().readAllBytes();
    for (Route route : routes) {
      Matcher m = route.pattern.matcher(path);
      if (!route.method.equals(ex.getRequestMethod()) || !m.matches()) continue;
      String tp = ex.getRequestHeaders().getFirst("traceparent");
      String[] parts = tp == null ? null : tp.split("-");
      // No traceparent (a health probe): this span starts a trace.
      Span span = parts == null || parts.length != 4
          ? new Span(nextId(32), "", route.name, 2)
          : new Span(parts[1], parts[2], route.name, 2);
      CURRENT.set(span);
      int status = 200;
      String body;
      try {
        body = route.handler.handle(m);
      } catch (Exception e) {
        status = 502;
        body = String.valueOf(e.getMessage());
      }
      reply(ex, status, body);
      span.end(status);
      CURRENT.remove();
      return;
    }
    reply(ex, 404, "");
  }

  static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
    ex.close();
  }

  static String otlp(List<String> spans) {
    String attr = "{\"key\":\"%s\",\"value\":{\"%s\":%s}}";
    String resource = String.join(",",
        String.format(attr, "service.name", "stringValue", "\"" + SERVICE + "\""),
        String.format(attr, "service.instance.id", "stringValue", "\"" + INSTANCE + "\""),
        String.format(attr, "host.name", "stringValue", "\"" + HOST + "\""),
        String.format(attr, "process.pid", "intValue", "\"" + PID + "\""),
        String.format(attr, "process.runtime.name", "stringValue", "\"java\""));
    return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + resource + "]},\"scopeSpans\":[{\"scope\":{\"name\":\"deepstitch-shop\"},\"spans\":["
        + String.join(",", spans) + "]}]}]}";
  }

  /** SHOP_PEERS: {"svc":["h:p",...],...}; flat enough that a regex reads it. */
  static Map<String, List<String>> parsePeers(String json) {
    Map<String, List<String>> out = new HashMap<>();
    Matcher m = Pattern.compile("\"([^\"]+)\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
    while (m.find()) {
      List<String> list = new ArrayList<>();
      Matcher v = Pattern.compile("\"([^\"]+)\"").matcher(m.group(2));
      while (v.find()) list.add(v.group(1));
      out.put(m.group(1), list);
    }
    return out;
  }

  public static void main(String[] args) throws IOException {
    List<Route> routes = routes();
    int workers = Integer.parseInt(System.getenv().getOrDefault("SHOP_WORKERS", "10"));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(System.getenv("SHOP_PORT"))), 64);
    AtomicLong made = new AtomicLong();
    server.setExecutor(Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "http-exec-" + made.incrementAndGet());
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", ex -> {
      try {
        serve(ex, routes);
      } catch (Exception e) {
        ex.close();
      }
    });
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
  }
}
