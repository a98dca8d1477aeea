"""The simulated partners in their own process, so that their CPU and memory are not the pipeline's.

The clock is frozen at the last day of the history (``--until``); the benchmark advances it by one day
for the daily increment. Protocol on stdin/stdout, one JSON object a line:

- on start: ``{"port": …, "city_token": …, "smtpc_key": …, "released": n, "release_s": s}``
  once every drop file due is in ``drop/`` (the partners' own work, not timed as the pipeline's);
- ``until YYYY-MM-DD`` → ``{"ok": true, "released": n, "release_s": s}``;
- ``quit`` or end of input: stop.

Run as ``python -m observatoire.bench.partners --home HOME --until YYYY-MM-DD``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import IO, Any

RELEASE_TIMEOUT_S = 1800.0


def _say(payload: dict[str, Any]) -> None:
    print(json.dumps(payload), flush=True)


def serve(home: Path, until: date) -> int:
    from ..partner_server import ClockSettings, running_partners

    started = time.perf_counter()
    with running_partners(home, clock=ClockSettings(mode="until", until=until)) as server:
        if server.releaser is not None:
            server.releaser.wait_released(timeout=RELEASE_TIMEOUT_S)
        released = server.releaser.released if server.releaser is not None else 0
        _say(
            {
                "port": server.port,
                "base_url": server.base_url,
                "city_token": server.settings.city_token,
                "smtpc_key": server.settings.smtpc_key,
                "released": released,
                "release_s": round(time.perf_counter() - started, 3),
            }
        )
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            if words[0] == "until" and len(words) == 2:
                started = time.perf_counter()
                server.set_clock(ClockSettings(mode="until", until=date.fromisoformat(words[1])))
                if server.releaser is not None:
                    server.releaser.wait_released(timeout=RELEASE_TIMEOUT_S)
                released = server.releaser.released if server.releaser is not None else 0
                _say({"ok": True, "released": released, "release_s": round(time.perf_counter() - started, 3)})
            else:
                _say({"ok": False, "error": f"unknown command {line.strip()!r}"})
    return 0


class PartnerProcess:
    """Parent side: start the partners' process, advance its clock, stop it."""

    def __init__(self, home: Path, until: date, env: dict[str, str], log: Path) -> None:
        self.home = home
        self.until = until
        self.env = env
        self.log = log
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        stderr: IO[Any] = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self._stderr = stderr
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "observatoire.bench.partners",
                "--home",
                str(self.home),
                "--until",
                self.until.isoformat(),
            ],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        self.info = self._read()
        if "port" not in self.info:
            raise RuntimeError(f"the simulated partners did not start: {self.info} (see {self.log})")
        return self.info

    def _read(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            return {"error": "no answer (process ended)"}
        result: dict[str, Any] = json.loads(line)
        return result

    def advance(self, until: date) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(f"until {until.isoformat()}\n")
        self.process.stdin.flush()
        return self._read()

    def connection_env(self, history_start: date) -> dict[str, str]:
        """``AIRFLOW_CONN_*`` for the ingestion children (the package's own reading, outside Airflow)."""
        port = int(self.info["port"])

        def http(password: str, prefix: str) -> str:
            # The connectors append their dataset paths to ``base_url``, which carries the partner's prefix.
            return json.dumps(
                {
                    "conn_type": "http",
                    "host": "127.0.0.1",
                    "port": port,
                    "schema": "http",
                    "password": password,
                    "extra": {
                        "base_url": f"http://127.0.0.1:{port}{prefix}",
                        "history_start": history_start.isoformat(),
                    },
                }
            )

        return {
            "AIRFLOW_CONN_OBSERVATOIRE_VILLE": http(str(self.info["city_token"]), "/ville"),
            "AIRFLOW_CONN_OBSERVATOIRE_SMTPC": http(str(self.info["smtpc_key"]), "/smtpc"),
            "AIRFLOW_CONN_OBSERVATOIRE_METROPOLE": http("", "/metropole"),
            "AIRFLOW_CONN_OBSERVATOIRE_DROP": json.dumps(
                {"conn_type": "fs", "extra": {"path": str(self.home / "drop")}}
            ),
        }

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            if self.process.stdin is not None:
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
            self.process.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            self._stderr.close()
            self.process = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m observatoire.bench.partners")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--until", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    return serve(args.home, args.until)


if __name__ == "__main__":
    sys.exit(main())
