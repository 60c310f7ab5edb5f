"""Embedded PostgreSQL for development and tests, used when DATABASE_URL is unset.

The server comes from the ``pgserver`` wheel (PostgreSQL binaries packaged for pip), keeps its data
under ``.data/pg`` and listens on a Unix socket only, so it never collides with a system server on
port 5432. It is started on first use and left running for the next command (``make stop-db``
stops it); starting it again is a no-op that costs a file read.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

DATABASE_NAME = "loyalty"


def _quiet_pgserver() -> None:
    # pgserver asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR (containers, CI) it
    # warns
    # once per process and falls back to /tmp/runtime-<uid>, which is what we want anyway.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")  # noqa: S108
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    warnings.filterwarnings("ignore", module="platformdirs")


def ensure_running(data_dir: Path) -> dict[str, str]:
    """Start (or reuse) the embedded server and return Django ``DATABASES`` connection fields."""
    _quiet_pgserver()
    import pgserver
    from pgserver.utils import PostmasterInfo

    pgdata = data_dir / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        # get_server registers an exit hook that rewrites a shared pid file; processes that only
        # connect to a running server (the runserver child, gunicorn workers, pytest) skip it,
        # so several of them ending at once (Ctrl-C) cannot race on that file.
        info = pgserver.get_server(pgdata, cleanup_mode=None).get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _ensure_database(socket_dir, str(info.port or 5432))
    return {
        "HOST": socket_dir,
        "PORT": str(info.port or 5432),
        "USER": "postgres",
        "NAME": DATABASE_NAME,
        "PASSWORD": "",
    }


def _ensure_database(host: str, port: str) -> None:
    import psycopg

    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def is_running(data_dir: Path) -> bool:
    """Whether the embedded server runs, without starting it."""
    _quiet_pgserver()
    from pgserver.utils import PostmasterInfo

    pgdata = data_dir / "pg"
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    return info is not None and info.is_running()


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; return whether it did."""
    _quiet_pgserver()
    import pgserver

    if not is_running(data_dir):
        return False
    pgdata = data_dir / "pg"
    user = "pgserver" if os.geteuid() == 0 else None
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


if __name__ == "__main__":  # python -m loyalty_saas.embedded_pg start|stop|status|url
    base = Path(__file__).resolve().parent.parent / ".data"
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "status":
        running = is_running(base)
        print("running" if running else "stopped")
        sys.exit(0 if running else 1)
    elif command == "stop":
        print(
            "embedded PostgreSQL stopped" if stop(base) else "embedded PostgreSQL was not running"
        )
    else:
        fields = ensure_running(base)
        print(
            f"postgresql://postgres@/{fields['NAME']}?host={fields['HOST']}&port={fields['PORT']}"
        )
