"""Minimal Chrome DevTools Protocol driver for headless Chromium.

Used by the web map tests: start Debian's chromium headless, load a page,
evaluate JavaScript, poll for a condition, take screenshots, and record every
network request (web workers included) and every page error along the way.

    with Browser() as b:
        b.navigate('http://127.0.0.1:8000/index.html')
        b.wait_for('window.map && map.loaded()')
        b.screenshot('/tmp/map.png')
        assert not requests_leaving(b.requests, 'http://127.0.0.1:8000/')

Needs only the standard library and python3-websocket.
"""

import atexit, base64, collections, json, os, re, select, shutil, signal, socket
import subprocess, tempfile, threading, time, urllib.request

import websocket

# SwiftShader gives WebGL without a GPU; MapLibre needs WebGL.
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader',
         '--use-angle=swiftshader', '--disable-background-networking',
         '--disable-component-update', '--no-first-run', '--no-default-browser-check']
LOCAL_SCHEMES = ('data:', 'blob:', 'about:', 'chrome-extension', 'devtools')


def free_port():
    """Return a TCP port on 127.0.0.1 that is currently unused."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def requests_leaving(requests, allowed_origin):
    """URLs in `requests` that are neither browser-internal nor under `allowed_origin`."""
    return [u for u in requests if not u.startswith(LOCAL_SCHEMES + (allowed_origin,))]


class JSError(RuntimeError):
    """The evaluated JavaScript threw; the message is the exception text."""


class Browser:
    """A headless Chromium with one page, driven over the DevTools protocol.

    `requests`: every URL requested by the page or its workers, in order,
    redirect hops included.  `errors`: strings for failed (not cancelled)
    loads, uncaught exceptions and console.error calls.  `stderr_tail`: the
    last 50 lines of chromium's stderr.  Use as a context manager or call
    close(); chromium is also killed at interpreter exit.
    """

    def __init__(self, chromium='/usr/bin/chromium', width=1280, height=800, log=print):
        self.log, self.requests, self.errors = log, [], []
        self.stderr_tail = collections.deque(maxlen=50)
        self.proc = self.ws = self._port = None
        self._id, self._urls, self._loaded = 0, {}, set()
        self.profile = tempfile.mkdtemp(prefix='cdp-profile-')
        atexit.register(self.close)
        try:
            self.proc = subprocess.Popen(
                [chromium] + FLAGS + ['--user-data-dir=' + self.profile,
                                      '--remote-debugging-port=0',
                                      '--window-size=%d,%d' % (width, height), 'about:blank'],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True)  # own process group: close() kills all helpers
            threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
            self._connect(time.monotonic() + 30)
            for domain in ('Page', 'Runtime', 'Network'):
                self.send(domain + '.enable')
            self.send('Page.setLifecycleEventsEnabled', {'enabled': True})
            self.send('Emulation.setDeviceMetricsOverride', {  # viewport exactly W x H
                'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': False})
            self.send('Target.setAutoAttach', {'autoAttach': True, 'flatten': True,
                                               'waitForDebuggerOnStart': True})
        except BaseException:
            self.close()
            raise

    def _drain(self, stream):
        for raw in stream:
            self.stderr_tail.append(raw.decode('utf-8', 'replace').rstrip())
            m = re.search(r'DevTools listening on ws://[^/]*:(\d+)/', self.stderr_tail[-1])
            if m and self._port is None:
                self._port = int(m.group(1))

    def _fail(self, message):
        raise RuntimeError('%s\nchromium stderr (tail):\n%s'
                           % (message, '\n'.join(list(self.stderr_tail))))

    def _connect(self, deadline):
        pages = []
        while not pages:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._fail('chromium offers no DevTools page target')
            time.sleep(0.05)
            try:
                if self._port is None:  # stderr line not seen (yet): try the profile's file
                    with open(os.path.join(self.profile, 'DevToolsActivePort')) as f:
                        self._port = int(f.readline())
                url = 'http://127.0.0.1:%d/json/list' % self._port
                with urllib.request.urlopen(url, timeout=5) as r:
                    pages = [t for t in json.load(r) if t.get('type') == 'page']
            except (OSError, ValueError):
                pass
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=30,
                                              suppress_origin=True)
        self.log('chromium pid %d, DevTools port %d' % (self.proc.pid, self._port))

    def _recv(self, timeout):
        """Read one message and record what it reports; None after `timeout` s of silence."""
        if not select.select([self.ws.sock], [], [], max(timeout, 0))[0]:
            return None
        try:
            msg = json.loads(self.ws.recv())
        except (websocket.WebSocketException, OSError) as e:
            self._fail('DevTools connection lost: %r' % e)
        method, p = msg.get('method'), msg.get('params', {})
        if method == 'Network.requestWillBeSent':
            self.requests.append(p['request']['url'])
            self._urls[p['requestId']] = p['request']['url']
        elif method == 'Network.loadingFailed' and not p.get('canceled'):
            self.errors.append('load failed: %s %s' % (self._urls.get(p['requestId'], '?'),
                                                       p.get('errorText', '')))
        elif method == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            self.errors.append('exception: ' + d.get('exception', {}).get('description', d['text']))
        elif method == 'Runtime.consoleAPICalled' and p.get('type') == 'error':
            self.errors.append('console.error: ' + ' '.join(
                str(a.get('value', a.get('description', ''))) for a in p.get('args', [])))
        elif method == 'Page.lifecycleEvent' and p.get('name') == 'load':
            self._loaded.add(p['loaderId'])
        elif method == 'Target.attachedToTarget':  # a worker (MapLibre fetches tiles there)
            for command in ('Network.enable', 'Runtime.enable', 'Runtime.runIfWaitingForDebugger'):
                self._post(command, session=p['sessionId'])
        return msg

    def _post(self, method, params=None, session=None):
        self._id += 1
        msg = {'id': self._id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        self.ws.send(json.dumps(msg))
        return self._id

    def send(self, method, params=None, timeout=30):
        """Send a DevTools command and return its result; events meanwhile are recorded."""
        cid = self._post(method, params)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv(deadline - time.monotonic())
            if msg is None:
                raise TimeoutError('%s: no reply within %ss' % (method, timeout))
            if msg.get('id') == cid and 'sessionId' not in msg:
                if 'error' in msg:
                    raise RuntimeError('%s failed: %s' % (method, msg['error']))
                return msg.get('result', {})

    def pump(self, seconds):
        """Record incoming events for `seconds` seconds."""
        deadline = time.monotonic() + seconds
        while self._recv(deadline - time.monotonic()) is not None:
            pass

    def navigate(self, url, timeout=60):
        """Load `url` and wait for its load event."""
        deadline = time.monotonic() + timeout
        r = self.send('Page.navigate', {'url': url}, timeout)
        if r.get('errorText'):
            raise RuntimeError('navigation to %s failed: %s' % (url, r['errorText']))
        while r.get('loaderId') and r['loaderId'] not in self._loaded:  # none: same document
            if self._recv(deadline - time.monotonic()) is None and time.monotonic() >= deadline:
                raise TimeoutError('%s: no load event within %ss; errors: %s'
                                   % (url, timeout, self.errors))

    def evaluate(self, expression, timeout=30):
        """Evaluate `expression`, awaiting a promise; return its JSON value.

        Raises JSError with the exception text if the expression throws.
        """
        r = self.send('Runtime.evaluate', {'expression': expression, 'returnByValue': True,
                                           'awaitPromise': True}, timeout)
        if 'exceptionDetails' in r:
            d = r['exceptionDetails']
            raise JSError(d.get('exception', {}).get('description') or d.get('text'))
        return r['result'].get('value')

    def wait_for(self, expression, timeout=120, interval=0.25):
        """Poll `expression` until it is truthy and return its value.

        A throwing expression counts as not yet true.  On timeout, raises
        TimeoutError naming the last JavaScript exception and `errors`.
        """
        deadline, last = time.monotonic() + timeout, None
        while True:
            try:
                value = self.evaluate(expression, max(deadline - time.monotonic(), 1))
                if value:
                    return value
            except JSError as e:
                last = e
            if time.monotonic() >= deadline:
                raise TimeoutError('%r not truthy after %ss (last exception: %s); errors: %s'
                                   % (expression, timeout, last, self.errors))
            self.pump(interval)

    def screenshot(self, path):
        """Save a PNG screenshot of the viewport to `path`."""
        r = self.send('Page.captureScreenshot', {'format': 'png'}, 60)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(r['data']))

    def close(self):
        """Kill chromium and all its helper processes, remove the profile; idempotent."""
        ws, self.ws = self.ws, None
        if ws is not None:
            try:
                ws.close(timeout=1)
            except Exception:
                pass
        proc, self.proc = self.proc, None
        if proc is not None:  # chromium leads its own process group
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(5)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            deadline = time.monotonic() + 5  # helpers: kill, wait until init reaps them
            while time.monotonic() < deadline:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None
        atexit.unregister(self.close)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
