"""``metacrm serve``: the web app, on Flask's development server or on gunicorn.

    metacrm serve                       # http://127.0.0.1:5000, development server
    metacrm serve --workers 4 --port 8000 --host 0.0.0.0   # gunicorn, for production
"""

from __future__ import annotations

import click

from .app import main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="The port to listen on.")
@click.option("--workers", type=int, default=0, metavar="N",
              help="Serve with gunicorn and N worker processes (production); "
                   "without it, Flask's development server.")
@click.option("--threads", type=int, default=4, show_default=True,
              help="With --workers: threads per worker process.")
@click.pass_context
def serve(ctx, host, port, workers, threads):
    """Serve the web app (the API and the pages) on the deployed metadata."""
    from ..web import create_app  # Flask is loaded only by the commands that serve
    config = {"DATABASE_URL": ctx.find_root().obj["database_url"]}
    if workers <= 0:
        create_app(config).run(host=host, port=port, threaded=True)
        return
    from gunicorn.app.base import BaseApplication  # gunicorn is loaded only with --workers

    class Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self):
            # each worker builds its own app after the fork: no shared connections
            return create_app(config)

    Gunicorn().run()
