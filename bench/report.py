"""Gather the benchmark sections into bench/RESULTS.md.

    .venv/bin/python bench/report.py

Order: what the numbers mean (bench/findings.md, written by whoever ran the
benchmarks), then the sections the scripts wrote into bench/results/.
"""

import datetime
from pathlib import Path

from _common import RESULTS_DIR, machine

HERE = Path(__file__).resolve().parent
SECTIONS = (
    "seed_synthetic",
    "patient_search",
    "patient_page",
    "list_pages",
    "lot_recipients",
    "report_page",
    "export",
)
HOW_TO_RUN = """\
How to run them again (from the project root; about 10 minutes on 2 cores):

```
.venv/bin/python bench/build_db.py --fresh      # exotrack_bench: 100,000 patients
.venv/bin/python bench/patient_search.py
.venv/bin/python bench/patient_page.py
.venv/bin/python bench/list_pages.py
.venv/bin/python bench/lot_recipients.py
.venv/bin/python bench/reports_page.py --reference   # /reports/ p50/p95 per filter
.venv/bin/python bench/export_outcomes.py --database exotrack_bench
.venv/bin/python bench/report.py                # writes this file
```
"""


def main() -> None:
    now = datetime.datetime.now(tz=datetime.UTC)
    parts = [
        "# ExoTrack at clinic scale: benchmark results",
        "",
        f"Gathered {now:%Y-%m-%d %H:%M} UTC on {machine()}. The machine is shared: the "
        "load average printed with each section says how busy it was; timings on an "
        "idle machine are lower.",
        "",
        HOW_TO_RUN,
    ]
    findings = HERE / "findings.md"
    if findings.exists():
        parts.append(findings.read_text(encoding="utf-8"))
    for name in SECTIONS:
        section = RESULTS_DIR / f"{name}.md"
        if section.exists():
            parts.append(section.read_text(encoding="utf-8"))
        else:
            parts.append(f"## {name}\n\nNot run yet: see the commands above.\n")
    (HERE / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"Wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
