"""A real PostgreSQL streaming replica of the test cluster, for tests: pg_basebackup -R into a temporary
directory, then pg_ctl start on a free port (as the postgres OS user when the tests run as root).

`start_replica(host, port)` returns a Replica, or raises ReplicaUnavailable with the reason when this
machine cannot start one (no PostgreSQL server binaries, no replication allowed and no way to allow it).
When the primary's pg_hba.conf lets no replication connection in from 127.0.0.1 and the tests may write
that file (root), the line `host replication all 127.0.0.1/32 trust` is appended and the configuration
reloaded, as docs/platform.md's set-up of a replica says.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

HBA_LINE = "host replication all 127.0.0.1/32 trust"


class ReplicaUnavailable(Exception):
    pass


@dataclass
class Replica:
    port: int
    data_dir: Path
    as_user: list[str]
    bindir: Path

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, **kwargs)

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        candidates.append(Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "pg_ctl").exists() and (bindir / "pg_basebackup").exists():
            return bindir
    raise ReplicaUnavailable("no PostgreSQL server binaries (pg_ctl, pg_basebackup) on this machine")


def _allow_replication(primary: psycopg.Connection) -> None:
    rules = primary.execute("SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
                            "AND (type = 'local' OR address = '127.0.0.1')").fetchone()[0]
    if rules:
        return
    hba = Path(primary.execute("SHOW hba_file").fetchone()[0])
    if not os.access(hba, os.W_OK):
        raise ReplicaUnavailable(f"{hba} lets no replication connection in and cannot be changed here")
    with hba.open("a") as f:
        f.write(f"\n# added by the test suite (tests/lots/replica.py): a streaming replica on this machine\n{HBA_LINE}\n")
    primary.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)


def start_replica(host: str, port: int) -> Replica:
    bindir = _bindir()
    try:
        primary = psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True)
    except psycopg.Error as exc:
        raise ReplicaUnavailable(f"cannot reach the primary as postgres: {exc}") from exc
    with primary:
        if primary.execute("SHOW wal_level").fetchone()[0] == "minimal":
            raise ReplicaUnavailable("the primary runs with wal_level = minimal (no streaming replication)")
        _allow_replication(primary)
        # A standby refuses to run with less of these than its primary.
        at_least = {name: primary.execute(f"SHOW {name}").fetchone()[0] for name in (
            "max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction")}
    as_user: list[str] = []
    top = Path(tempfile.mkdtemp(prefix="auction-replica-"))
    data_dir = top / "data"
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            raise ReplicaUnavailable("running as root without runuser: cannot start PostgreSQL as the postgres user")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(top, "postgres", "postgres")
    os.chmod(top, 0o700)
    backup = subprocess.run([*as_user, str(bindir / "pg_basebackup"), "-h", host, "-p", str(port), "-U", "postgres", "-D", str(data_dir),
                             "-R", "-X", "stream", "-c", "fast"], capture_output=True, text=True, timeout=600)
    if backup.returncode != 0:
        shutil.rmtree(top, ignore_errors=True)
        raise ReplicaUnavailable(f"pg_basebackup failed: {backup.stderr.strip()[:500]}")
    replica_port = _free_port()
    # Debian keeps the configuration outside the data directory: the replica gets its own, minimal.
    conf = (f"port = {replica_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{top}'\nhot_standby = on\n"
            "shared_buffers = 32MB\nfsync = off\nlogging_collector = off\n" + "".join(f"{k} = {v}\n" for k, v in at_least.items()))
    hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
    for name, text in (("postgresql.conf", conf), ("pg_hba.conf", hba), ("pg_ident.conf", "")):
        path = data_dir / name
        path.write_text(text)
        if as_user:
            shutil.chown(path, "postgres", "postgres")
    started = subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(top / "log"), "-w", "-t", "120", "start"],
                             capture_output=True, text=True, timeout=180)
    replica = Replica(replica_port, data_dir, as_user, bindir)
    if started.returncode != 0:
        log = (top / "log").read_text()[-800:] if (top / "log").exists() else started.stderr
        replica.stop()
        raise ReplicaUnavailable(f"the replica did not start: {log}")
    with replica.connect(autocommit=True) as conn:
        if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
            replica.stop()
            raise ReplicaUnavailable("the started server is not a standby")
    return replica
