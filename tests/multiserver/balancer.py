"""nginx in front of several `loopcache serve`, as a platform team would run it: sessions pinned to a
server by `hash $http_x_session_id consistent`, moved to another when theirs fails. Started by the test on
a free port with a config in a temp folder; each response says which server answered (X-Upstream)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.redis_servers import free_port, stop_process

CONFIG = """\
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream loopcache {{
        hash $http_x_session_id consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://loopcache;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout http_502 http_503;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx_config(folder: Path, port: int, upstream_ports: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in upstream_ports)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return CONFIG.format(user=user, folder=folder, port=port, servers=servers)


@dataclass
class Balancer:
    proc: subprocess.Popen[bytes]
    port: int
    folder: Path

    @classmethod
    def start(cls, folder: Path, upstream_ports: list[int]) -> Balancer:
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if nginx is None:
            pytest.fail("nginx is not installed (apt-get install nginx; `make install` does it)")
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        conf = folder / "nginx.conf"
        conf.write_text(nginx_config(folder, port, upstream_ports))
        proc = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        balancer = cls(proc, port, folder)
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"nginx exited: {balancer.log_text()}"
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                return balancer
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)
