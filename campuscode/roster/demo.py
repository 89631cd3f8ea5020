"""Demo data for the roster import: one finished import of contract workers, and two
files to try on /roster/ (one clean, one with the usual mistakes)."""

import random
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from openpyxl import Workbook

from campuscode.people.models import OrgUnit
from campuscode.people.services import checksum_char
from campuscode.roster.services import create_job, run_commit, start_commit, validate_job

HEADERS = ["工号", "姓名", "身份证号", "部门", "班级", "手机号", "邮箱", "人员类别", "有效期至"]
NAMES = "王师傅 李阿姨 张建华 刘德胜 陈桂兰 杨国强 黄秀英 赵永军 吴春梅 周志明 徐海涛 孙丽萍"


def _id_number(rng: random.Random) -> str:
    first17 = f"3201021975{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + checksum_char(first17)


def _workbook(path, rows) -> None:
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def load_demo(*, school: OrgUnit, now: datetime) -> list[str]:
    rng = random.Random(2026)
    folder = settings.DATA_DIR / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    until = now.date().replace(year=now.year + 1, month=7, day=31)
    workers = [
        [
            f"L{9001 + i}",
            name,
            _id_number(rng),
            "保卫处",
            "",
            f"1355{rng.randint(0, 9999999):07d}",
            "",
            "临时工",
            until,
        ]
        for i, name in enumerate(NAMES.split())
    ]
    done = folder / "roster-contract-workers.xlsx"
    _workbook(done, workers)
    admin = User.objects.filter(username="itadmin").first()
    job = create_job(school=school, file_name=done.name, source=done, user=admin)
    validate_job(job=job)
    if start_commit(job=job) is None:
        run_commit(job=job)

    new_students = [
        [
            f"2026{i:04d}",
            f"{rng.choice('王李张刘陈杨')}{rng.choice('子涵一诺欣怡雨桐浩宇')}",
            _id_number(rng),
            "计算机学院",
            "计科2601班",
            f"1390000{i:04d}",
            f"n{i}@demo.edu.cn",
            "学生",
            None,
        ]
        for i in range(1, 41)
    ]
    _workbook(folder / "roster-new-class.xlsx", new_students)
    broken = [row[:] for row in new_students[:12]]
    broken[2][2] = broken[2][2][:17] + ("0" if broken[2][2][17] != "0" else "1")  # check digit
    broken[4][5] = "1390000"  # short phone
    broken[6][7] = "外星人"  # unknown kind
    broken[8] = broken[7][:]  # a repeated row: counted, not an error
    broken[10][0] = broken[9][0]  # same number, other person: an error on both rows
    _workbook(folder / "roster-with-errors.xlsx", broken)
    return [
        "Roster import: /roster/ (itadmin or HR T1003@DEMO for staff); files to try in "
        f"{folder}: roster-new-class.xlsx (40 new students, a new class), "
        "roster-with-errors.xlsx (the usual mistakes)",
    ]
