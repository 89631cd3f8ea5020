"""Roster import benchmark: 10,000 and 50,000 generated people (XLSX), imported into a
fresh database through the same services as `campuscode import-roster`, on SQLite and on
PostgreSQL. Prints rows/s and peak memory for each run.

    .venv/bin/python bench/import_roster.py [--sizes 10000 50000] [--db sqlite postgres]

Each run is a child process of its own, so its peak RSS is the import's alone.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_roster"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文斌宇浩然子轩梓涵一诺欣怡雨桐"
)
COLLEGES = [
    "计算机学院",
    "机械工程学院",
    "经济管理学院",
    "外国语学院",
    "艺术学院",
    "数学学院",
    "物理学院",
]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(rng: random.Random) -> str:
    first17 = (
        rng.choice(["110101", "310104", "440106", "320102", "510104"])
        + f"{rng.randint(2003, 2008)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + f"{rng.randint(0, 999):03d}"
    )
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    )


def people(size: int):
    rng = random.Random(size)
    yield ["学号", "姓名", "身份证号", "学院", "班级", "手机号", "邮箱", "人员类别"]
    used = set()
    for seq in range(size):
        while (ident := id_number(rng)) in used:
            pass
        used.add(ident)
        college = COLLEGES[seq % len(COLLEGES)]
        year = 22 + seq % 4
        yield [
            f"20{year}{seq:06d}",
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            ident,
            college,
            f"{college[:2]}{year}{seq % 40 + 1:02d}班",
            f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            f"s{seq}@example.edu.cn",
            "学生",
        ]


def generate(size: int) -> Path:
    """An XLSX as Excel or WPS saves it: text in the shared-strings table (openpyxl itself
    would write inline strings, which read several times slower)."""
    import zipfile
    from xml.sax.saxutils import escape

    path = OUT / f"roster-{size}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
                f'<dimension ref="A1:H{size + 1}"/><sheetData>'.encode()
            )
            for number, row in enumerate(people(size), 1):
                cells = "".join(
                    f'<c r="{"ABCDEFGH"[i]}{number}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>'
                    for i, v in enumerate(row)
                )
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(strings)}"'
            f' uniqueCount="{len(strings)}">{items}</sst>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>",
        )
    return path


def child(db_url: str, path: Path, data_dir: str) -> None:
    """Runs inside the child process: migrate is done; import once, then re-import."""
    os.environ["DATABASE_URL"] = db_url
    os.environ["CAMPUSCODE_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from campuscode.people.models import OrgUnit
    from campuscode.roster.services import create_job, run_commit, start_commit, validate_job

    school = OrgUnit.objects.create(kind="school", name="基准大学", code="BENCH")
    OrgUnit.objects.create(parent=school, kind="campus", name="主校区")
    baseline = rss_mb()
    result = {"baseline_mb": baseline}
    for label in ("first", "again"):
        cpu = cpu_seconds()
        started = time.perf_counter()
        job = create_job(school=school, file_name=path.name, source=path, label="bench")
        validate_job(job=job)
        checked = time.perf_counter()
        assert start_commit(job=job) is None, job.problem
        run_commit(job=job)
        done = time.perf_counter()
        assert job.state == "done" and job.bad == 0, (job.state, job.problem, job.bad)
        result[label] = {
            "rows": job.rows,
            "new": job.written_new,
            "check_s": round(checked - started, 2),
            "commit_s": round(done - checked, 2),
            "total_s": round(done - started, 2),
            "cpu_s": round(cpu_seconds() - cpu, 2),
        }
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


def cpu_seconds() -> float:
    """CPU time of this process plus, on PostgreSQL, of its server process (same machine):
    less sensitive than wall time to what else the shared machine is doing."""
    from django.db import connection

    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = usage.ru_utime + usage.ru_stime
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def fresh_database(db: str, folder: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{folder}/bench.sqlite3"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cc_bench_roster")
        conn.execute("CREATE DATABASE cc_bench_roster")
    return PG_URL


def drop_database(db: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS cc_bench_roster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 50_000])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.child[2])
        return
    files = {size: generate(size) for size in args.sizes}
    python = sys.executable
    print(
        f"{'db':<9}{'rows':>7}{'check s':>9}{'commit s':>9}{'total s':>9}{'cpu s':>7}"
        f"{'rows/s':>8}{'again s':>9}{'base MB':>9}{'peak MB':>9}"
    )
    for db in args.db:
        for path in files.values():
            with tempfile.TemporaryDirectory(prefix="cc-bench-") as folder:
                url = fresh_database(db, folder)
                env = {**os.environ, "DATABASE_URL": url, "CAMPUSCODE_DATA_DIR": folder}
                subprocess.run(
                    [python, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
                )
                output = subprocess.run(
                    [python, __file__, "--child", url, str(path), folder],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                drop_database(db)
            r = json.loads(output.strip().splitlines()[-1])
            first, again = r["first"], r["again"]
            print(
                f"{db:<9}{first['rows']:>7}{first['check_s']:>9}{first['commit_s']:>9}"
                f"{first['total_s']:>9}{first['cpu_s']:>7}{first['rows'] / first['total_s']:>8.0f}"
                f"{again['total_s']:>9}{r['baseline_mb']:>9}{r['peak_mb']:>9}"
            )


if __name__ == "__main__":
    main()
