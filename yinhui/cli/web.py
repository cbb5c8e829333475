"""The task page: `yinhui web` serves it (coordinators answer tasks in a browser, leaders see the county)."""

from __future__ import annotations

from typing import Annotated

import typer

from yinhui.cli.common import _, require_schema
from yinhui.i18n import N_
from yinhui.web.serving import DEFAULT_HOST, DEFAULT_PORT

app = typer.Typer()


@app.command("web", help=N_("serve the task page (我的任务, 全县概况) in a browser\n\n"
                            "Coordinators bind a browser with the same one-time code as Telegram (`yinhui coordinator invite NAME`); set YINHUI_WEB_URL to the address they open (https behind a proxy)."))
def web(
    host: Annotated[str, typer.Option(help=N_("address to listen on (behind a reverse proxy keep 127.0.0.1)"))] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help=N_("port to listen on"))] = DEFAULT_PORT,
) -> int:
    from yinhui.settings import get_settings
    from yinhui.web.app import create_app
    from yinhui.web.serving import serve

    require_schema()
    application = create_app()
    print(_("Task page: http://{host}:{port}/  (public address: {url})", host=host, port=port,
            url=get_settings().web_url or _("not set, YINHUI_WEB_URL")), flush=True)
    # The access log shows method, path and status: paths carry task and grid ids only, never a name.
    serve(application, host=host, port=port)
    return 0
