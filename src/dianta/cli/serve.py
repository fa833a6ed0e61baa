"""``dianta serve``: the web dashboard and the REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dianta.cli._runner import store_session
from dianta.errors import UsageError

app = typer.Typer()


def _check_tls(certfile: Path | None, keyfile: Path | None) -> None:
    """UsageError unless the TLS files given to ``serve`` load together (never a traceback from the server)."""
    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile", zh="使用 --ssl-keyfile 时须同时给出 --ssl-certfile")
    if certfile is None:
        return
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"the TLS certificate and key cannot be used ({exc}); give a PEM certificate chain "
                         "with --ssl-certfile and its private key with --ssl-keyfile",
                         zh=f"无法使用该 TLS 证书和私钥（{exc}）；请用 --ssl-certfile 给出 PEM 格式的证书链，"
                            "用 --ssl-keyfile 给出其私钥") from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port")] = 8000,
          cors: Annotated[list[str] | None, typer.Option(help="allowed browser origin (repeatable)")] = None,
          keep_alive: Annotated[int, typer.Option(help="seconds an idle connection is kept open; clients "
                                                  "should keep theirs for less")] = 5,
          limit_concurrency: Annotated[int, typer.Option(min=2, help="connections and requests served at once; "
                                                         "more are answered 503 at once")] = 64,
          ssl_certfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="serve HTTPS with "
                                                            "this TLS certificate chain (PEM)")] = None,
          ssl_keyfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="the private key "
                                                           "(PEM) of --ssl-certfile")] = None,
          hsts_max_age: Annotated[int, typer.Option(min=0, help="send Strict-Transport-Security with this "
                                                    "max-age [s] on every response (0: off); only for a site "
                                                    "served over HTTPS, here or by a proxy in front")] = 0,
          forwarded_allow_ips: Annotated[str | None, typer.Option(help="comma-separated addresses (or networks) "
                                                                  "of the reverse proxies in front whose "
                                                                  "X-Forwarded-For/-Proto are believed; off "
                                                                  "by default")] = None) -> None:
    """Run the web dashboard (http://HOST:PORT/) and the REST API (OpenAPI at /api/v1/openapi.json, docs at
    /api/v1/docs). Without --forwarded-allow-ips no forwarded header is believed, from anyone (loopback
    included): the client address that logins are throttled and audited by is the connection's."""
    import uvicorn

    from dianta.api.app import create_app

    _check_tls(ssl_certfile, ssl_keyfile)
    with store_session() as store:
        application = create_app(store, cors_origins=cors or [], hsts_max_age=hsts_max_age)
        uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False,
                    timeout_keep_alive=keep_alive, limit_concurrency=limit_concurrency,
                    ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                    proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None)
