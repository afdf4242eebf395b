"""Create the dedicated benchmark database and fill it with a synthetic clinic, timing
`manage.py seed_synthetic`.

    .venv/bin/python bench/build_db.py [--patients 100000] [--seed 1] [--fresh]

Only databases named exotrack_bench* are touched; --fresh drops that one first.
Writes bench/results/seed_synthetic.md.
"""

import argparse
import os
import resource
import subprocess
import sys
import time

import psycopg
from _common import ROOT, load_average, machine, write_section

SERVER = "postgres://postgres@127.0.0.1:5432"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="exotrack_bench")
    parser.add_argument("--fresh", action="store_true", help="Drop the database first.")
    args = parser.parse_args()
    if not args.database.startswith("exotrack_bench"):
        raise SystemExit("Only a dedicated database named exotrack_bench* is built here.")

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as server:
        name = psycopg.sql.Identifier(args.database)
        if args.fresh:
            server.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        exists = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if not exists:
            server.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(name))

    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{args.database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    load_before = load_average()
    started = time.monotonic()
    seeded = subprocess.run(
        [*manage, "seed_synthetic", "--patients", str(args.patients), "--seed", str(args.seed)],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    write_section(
        "seed_synthetic",
        "\n".join(
            [
                "## Building the synthetic clinic (`manage.py seed_synthetic`)",
                "",
                f"`seed_synthetic --patients {args.patients} --seed {args.seed}` into "
                f"`{args.database}` (freshly migrated): **{wall:.0f} s wall clock**, "
                f"peak memory of the command {peak_mib:.0f} MiB. "
                f"Load average before/after: {load_before} / {load_average()}. "
                f"Machine: {machine()}.",
                "",
                "Output of the command:",
                "",
                "```",
                seeded.stdout.strip(),
                "```",
            ]
        ),
    )


if __name__ == "__main__":
    main()
