"""The shop's Python services (user, payment): http.server's ThreadingHTTPServer (a new OS thread
per connection) run by Debian's /usr/bin/python3, with a hand-rolled tracer that reads W3C
traceparent and RESP over a socket to redis (no client library).

  user     GET /customers               -> user-db HGETALL (1 find)
           GET /customers/{id}          -> user-db x3 (customer, addresses, cards)
           GET /login                   -> user-db x3
           GET /addresses, /cards       -> user-db x3 each
           GET /addresses/{id}, /cards/{id} -> user-db x1
           GET /health                  -> user-db PING
  payment  POST /paymentAuth            (no storage)
           GET /health

Server spans are named by route ("GET /customers/{id}") as Sock Shop's Go services name theirs,
and carry thread.id = threading.get_native_id() (ground truth only). GET /__spans hands the
finished spans over as OTLP JSON and forgets them (not traced).

Environment: SHOP_SERVICE, SHOP_INSTANCE, SHOP_HOST, SHOP_PORT, SHOP_SEED, SHOP_PEERS (JSON).
"""
import hashlib
import itertools
import json
import os
import re
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = os.environ['SHOP_SERVICE']
INSTANCE = os.environ['SHOP_INSTANCE']
HOST = os.environ['SHOP_HOST']
SEED = os.environ['SHOP_SEED']
PEERS = json.loads(os.environ['SHOP_PEERS'])
PID = os.getpid()

ids = itertools.count()
turns = {}
finished = []
lock = threading.Lock()


def next_id(hex_chars):
    """Seeded ids: SHA-256 of (seed, instance, counter)."""
    with lock:
        n = next(ids)
    return hashlib.sha256(f'{SEED}:{INSTANCE}:{n}'.encode()).hexdigest()[:hex_chars]


def peer(service):
    """The next replica of a service, round robin."""
    with lock:
        n = turns.get(service, 0)
        turns[service] = n + 1
    host, port = PEERS[service][n % len(PEERS[service])].split(':')
    return host, int(port)


def redis(*commands):
    """Redis commands to user-db on a new connection (RESP); returns the raw replies."""
    wire = b''
    for command in commands:
        args = command.split(' ')
        wire += f'*{len(args)}\r\n'.encode() + b''.join(f'${len(a)}\r\n{a}\r\n'.encode() for a in args)
    with socket.create_connection(peer('user-db')) as s:
        s.sendall(wire)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b''.join(chunks)


def user_db(n):
    return lambda m: redis(*[f'HGETALL customer:{m.group(1) if m.groups() else "c1"}:{i}' for i in range(n)])


ROUTES = {
    'user': [
        ('GET', r'/customers', 'GET /customers', user_db(1)),
        ('GET', r'/customers/(\w+)', 'GET /customers/{id}', user_db(3)),
        ('GET', r'/login', 'GET /login', user_db(3)),
        ('GET', r'/addresses', 'GET /addresses', user_db(3)),
        ('GET', r'/cards', 'GET /cards', user_db(3)),
        ('GET', r'/addresses/(\w+)', 'GET /addresses/{id}', user_db(1)),
        ('GET', r'/cards/(\w+)', 'GET /cards/{id}', user_db(1)),
        ('GET', r'/health', 'GET /health', lambda m: redis('PING')),
    ],
    'payment': [
        ('POST', r'/paymentAuth', 'POST /paymentAuth', lambda m: b'{"authorised":true}'),
        ('GET', r'/health', 'GET /health', lambda m: b'{"health":"ok"}'),
    ],
}[SERVICE]


def attr(key, kind, value):
    return {'key': key, 'value': {kind: value}}


def otlp(spans):
    return {'resourceSpans': [{
        'resource': {'attributes': [
            attr('service.name', 'stringValue', SERVICE),
            attr('service.instance.id', 'stringValue', INSTANCE),
            attr('host.name', 'stringValue', HOST),
            attr('process.pid', 'intValue', str(PID)),
            attr('process.runtime.name', 'stringValue', 'python'),
        ]},
        'scopeSpans': [{'scope': {'name': 'deepstitch-shop'}, 'spans': spans}],
    }]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def handle_one(self, method):
        path = self.path.split('?')[0]
        if path == '/__spans':
            with lock:
                body = json.dumps(otlp(finished)).encode()
                finished.clear()
            return self.reply(200, body)
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        for want, pattern, name, handle in ROUTES:
            m = re.fullmatch(pattern, path)
            if want != method or not m:
                continue
            start = time.time_ns()
            parts = (self.headers.get('traceparent') or '').split('-')
            # No traceparent (a health probe): this span starts a trace.
            trace_id, parent = (parts[1], parts[2]) if len(parts) == 4 else (next_id(32), '')
            try:
                status, body = 200, handle(m)
            except OSError as e:
                status, body = 502, str(e).encode()
            self.reply(status, body)
            span = {
                'traceId': trace_id, 'spanId': next_id(16), 'parentSpanId': parent, 'name': name,
                'kind': 2, 'startTimeUnixNano': str(start), 'endTimeUnixNano': str(time.time_ns()),
                'attributes': [attr('thread.id', 'intValue', str(threading.get_native_id())),
                               attr('http.response.status_code', 'intValue', str(status))],
            }
            with lock:
                finished.append(span)
            return
        self.reply(404, b'')

    def do_GET(self):
        self.handle_one('GET')

    def do_POST(self):
        self.handle_one('POST')

    def reply(self, status, body):
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # no access log: the services' syscalls are their requests' own work


def stop(_signum, _frame):
    raise SystemExit(0)


signal.signal(signal.SIGTERM, stop)
server = ThreadingHTTPServer(('127.0.0.1', int(os.environ['SHOP_PORT'])), Handler)
server.daemon_threads = True
try:
    server.serve_forever()
finally:
    server.server_close()
