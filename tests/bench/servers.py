"""gunicorn on 127.0.0.1 and the wrk load generator, each in its own process."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"
WORKERS = 2
THREADS = 2
CONNECTIONS = 32
WRK_TIMEOUT = "5s"  # slower requests count as errors (wrk's default is 2 s)


class BenchRunError(RuntimeError):
    """A server or the load generator misbehaved."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(app_spec, port, error_log):
    """The one gunicorn configuration every app is served with (portal and ceiling alike).

    No access log: gunicorn writes none unless --access-logfile is given (passing the word
    "None" would create a file named None and log every request into it). No control socket:
    its default path ($HOME/.gunicorn/gunicorn.ctl) is shared by every gunicorn on the machine.
    """
    return [
        sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync",
        "-b", f"127.0.0.1:{port}", "--no-control-socket", "--error-logfile", str(error_log), app_spec,
    ]


class Gunicorn:
    """A gunicorn master and its workers, in their own process group, stopped on exit."""

    def __init__(self, name, app_spec, env, cwd, log_dir, ready_path):
        """Remember how to start it; start() does."""
        self.name, self.app_spec, self.env, self.cwd = name, app_spec, env, cwd
        self.error_log = Path(log_dir) / f"gunicorn-{name}.log"
        self.ready_path = ready_path
        self.port = None
        self.process = None

    @property
    def base_url(self):
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        """Start and wait until `ready_path` answers 200."""
        self.port = free_port()
        self.process = subprocess.Popen(
            gunicorn_command(self.app_spec, self.port, self.error_log), cwd=self.cwd, env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchRunError(f"gunicorn ({self.name}) exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + self.ready_path, timeout=5) as reply:  # noqa: S310
                    if reply.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise BenchRunError(f"gunicorn ({self.name}) did not answer {self.ready_path}:\n{self.log_tail()}")

    def stop(self):
        """TERM the master (it stops its workers), KILL the group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines=30):
        """The end of the error log, for messages."""
        try:
            return "\n".join(self.error_log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self):
        """Start on entering the block."""
        return self.start()

    def __exit__(self, *exc):
        """Stop whatever happened."""
        self.stop()


def wrk_binary():
    """The wrk executable, or None."""
    return shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)


def login(base_url, identifier, password, out_file, csrf_from=None):
    """Log in with wrk and login.lua; the session file holds the Cookie header and a CSRF token."""
    args = [f"identifier={identifier}", f"password={password}", f"out_file={out_file}"]
    if csrf_from:
        args.append(f"csrf_from={csrf_from}")
    command = [wrk_binary(), "-t1", "-c1", "-d60s", "-s", str(WRK_DIR / "login.lua"), base_url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not Path(out_file).exists():
        raise BenchRunError(f"log-in as {identifier} failed: {done.stderr.strip() or done.stdout.strip()}")
    return out_file


def run_wrk(base_url, seconds, args, script=None, out_file=None, threads=THREADS, connections=CONNECTIONS):
    """Drive one endpoint for `seconds`; the figures done() printed, as a dict."""
    script = script or WRK_DIR / "bench.lua"
    if out_file:
        args = [*args, f"out_file={out_file}"]
    command = [
        wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", WRK_TIMEOUT,
        "-s", str(script), base_url, "--", *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise BenchRunError(f"wrk printed no result (exit {done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
