"""Where the gate page keeps its data, in Chromium: a whole school's snapshot in IndexedDB
(beyond what localStorage holds), read back after a restart without network; an older
page's localStorage snapshot and queue moved over; a clear message when the browser's
storage is full or missing."""

import json

import pytest
from django.utils import timezone

from campuscode.gates.models import GateEvent
from campuscode.gates.tests.conftest import code_for
from campuscode.gates.tests.test_browser_gate_page import scan, settled
from campuscode.people.models import Person, mask_name
from conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANY = 20_000

# What the page keeps in IndexedDB, read the way the page reads it.
SAVED_PEOPLE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("cc-gate");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result, out = {};
    try {
      const tx = db.transaction(["state", "queue"]);
      tx.objectStore("state").get("snapshot").onsuccess = (e) => {
        out.people = e.target.result ? Object.keys(e.target.result.data.people).length : 0;
      };
      tx.objectStore("queue").count().onsuccess = (e) => { out.queued = e.target.result; };
      tx.oncomplete = () => { db.close(); resolve(out); };
      tx.onabort = () => { db.close(); reject(tx.error); };
    } catch (error) {
      db.close();
      reject(error);
    }
  };
})"""

OLD_KEYS = ["cc.gate.snapshot", "cc.gate.synced", "cc.gate.queue"]


def many_people(tree, count: int) -> list[Person]:
    """`count` students in one class, the way a roster import leaves them."""
    Person.objects.bulk_create(
        (
            Person(
                school=tree.school, number=f"9{i:07d}", name=f"测试学生{i}", org_unit=tree.cs_2502
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    return list(Person.objects.filter(number__startswith="9").order_by("number"))


def snapshot_json(page, device_token: str) -> str:
    """The snapshot as the device API serves it (what the older page kept, verbatim)."""
    response = page.request.get(
        "/api/v1/gates/snapshot", headers={"Authorization": f"Bearer {device_token}"}
    )
    assert response.ok
    return response.text()


def wait_until_cached_for_offline(page) -> None:
    # The service worker is active and holds the page: a restart without network opens it.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => caches.match(location.pathname).then((hit) => !!hit)")


def test_it_keeps_a_whole_school_in_indexeddb_and_decides_from_it_after_an_offline_restart(
    desktop_page, device_token, tree
):
    page = desktop_page
    people = many_people(tree, MANY)
    last, suspended = people[-1], people[MANY // 2]
    Person.objects.filter(pk=suspended.pk).update(state=Person.State.SUSPENDED)

    page.goto(f"/gates/kiosk/#token={device_token}")
    page.wait_for_selector("#gate[data-synced=true]")
    # Everyone this gate admits; the suspended student is not on its list.
    assert page.evaluate(SAVED_PEOPLE) == {"people": MANY - 1, "queued": 0}
    # Only the token and the direction are left in localStorage: a few dozen bytes.
    assert page.evaluate("Object.keys(localStorage).sort()") == [
        "cc.gate.direction",
        "cc.gate.token",
    ]
    assert page.is_hidden("#problem")
    wait_until_cached_for_offline(page)

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#gate[data-ready=true]")
    page.wait_for_selector("#net[data-online=false]")  # its sync at start failed

    scan(page, code_for(last))
    page.wait_for_selector("#gate[data-state=allow][data-source=offline]")
    assert mask_name(last.name) in page.inner_text("#answer")
    settled(page)
    screenshot(page, "gates-kiosk-20000-offline-allow")

    scan(page, code_for(suspended))
    page.wait_for_selector("#gate[data-state=refuse][data-source=offline]")
    assert page.get_attribute("#gate", "data-reason") == "not_on_list"
    assert page.inner_text("#queued") == "2"
    assert page.evaluate(SAVED_PEOPLE) == {"people": MANY - 1, "queued": 2}
    assert GateEvent.objects.count() == 0

    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('queued').textContent === '0'")
    stored = GateEvent.objects.filter(source="offline")
    assert sorted(stored.values_list("person_id", "allowed", "reason")) == sorted(
        [(last.pk, True, "ok"), (suspended.pk, False, "not_on_list")]
    )
    # The page sent the code it read: the server confirmed the passage.
    assert not stored.exclude(unverified="").exists()
    assert page.evaluate(SAVED_PEOPLE)["queued"] == 0


def test_an_older_pages_localstorage_snapshot_and_queue_move_to_indexeddb(
    desktop_page, device_token, student, other_student
):
    page = desktop_page
    saved = snapshot_json(page, device_token)
    queued_by_old_page = {
        "nonce": "old-page-1",
        "token": code_for(other_student),
        "direction": "in",
        "at": timezone.now().isoformat(),
        "allowed": True,
        "reason": "ok",
        "notice": "",
        "colour": "green",
    }
    # The device as the older page left it: everything in localStorage, under its keys.
    page.goto("/gates/kiosk/sw.js")
    page.evaluate(
        """([token, snapshot, queue]) => {
          localStorage.setItem("cc.gate.token", token);
          localStorage.setItem("cc.gate.snapshot", snapshot);
          localStorage.setItem("cc.gate.synced", String(Date.now() - 120000));
          localStorage.setItem("cc.gate.queue", queue);
        }""",
        [device_token, saved, json.dumps([queued_by_old_page])],
    )
    # The network is down for the device API when the upgraded page first starts.
    page.route("**/api/v1/gates/**", lambda route: route.abort("internetdisconnected"))
    page.goto("/gates/kiosk/")
    page.wait_for_selector("#gate[data-ready=true]")
    assert page.evaluate(f"{json.dumps(OLD_KEYS)}.map((k) => localStorage.getItem(k))") == [
        None,
        None,
        None,
    ]
    assert page.evaluate("localStorage.getItem('cc.gate.token')") == device_token
    assert page.evaluate(SAVED_PEOPLE) == {"people": 2, "queued": 1}
    assert page.inner_text("#queued") == "1"
    assert "分钟前" in page.inner_text("#synced")  # the older page's sync time came along

    scan(page, code_for(student))
    page.wait_for_selector("#gate[data-state=allow][data-source=offline]")
    assert "张*伟" in page.inner_text("#answer") and "计科" not in page.inner_text("#answer")
    assert page.inner_text("#queued") == "2"

    page.unroute("**/api/v1/gates/**")
    page.context.set_offline(True)  # the network comes back: the browser says "online"
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('queued').textContent === '0'")
    assert GateEvent.objects.filter(nonce="old-page-1", person=other_student).exists()
    assert GateEvent.objects.filter(source="offline").count() == 2


def test_an_older_pages_snapshot_of_the_whole_school_is_dropped_not_used(
    desktop_page, device_token, student
):
    page = desktop_page
    # What a page before the gate list kept: every person with class, standing and colour.
    whole_school = {
        "version": 1,
        "generated_ts": 2_000_000_000,
        "keys": [],
        "people": {str(student.pk): ["student", "/1/", "active", "green", None, None, "张*伟"]},
    }
    page.goto("/gates/kiosk/sw.js")
    page.evaluate(
        """([token, snapshot]) => {
          localStorage.setItem("cc.gate.token", token);
          localStorage.setItem("cc.gate.snapshot", snapshot);
        }""",
        [device_token, json.dumps(whole_school)],
    )
    page.route("**/api/v1/gates/**", lambda route: route.abort("internetdisconnected"))
    page.goto("/gates/kiosk/")
    page.wait_for_selector("#gate[data-ready=true]")
    assert page.evaluate("localStorage.getItem('cc.gate.snapshot')") is None
    assert page.evaluate(SAVED_PEOPLE) == {"people": 0, "queued": 0}
    scan(page, code_for(student))
    page.wait_for_selector("#gate[data-state=refuse][data-source=offline]")
    assert page.get_attribute("#gate", "data-reason") == "stale"


def test_a_full_disk_is_said_on_screen_and_the_gate_still_decides_from_memory(
    desktop_page, device_token, tree, live_server
):
    page = desktop_page
    people = many_people(tree, 2000)
    # Chromium's own quota, shrunk below one snapshot (~170 KB for 2,000 people).
    session = page.context.new_cdp_session(page)
    session.send("Storage.overrideQuotaForOrigin", {"origin": live_server.url, "quotaSize": 50_000})
    page.goto(f"/gates/kiosk/#token={device_token}")
    page.wait_for_selector("#gate[data-synced=true]")
    page.wait_for_selector("#problem:not([hidden])")
    assert "存储空间已满" in page.inner_text("#problem")
    assert page.evaluate(SAVED_PEOPLE)["people"] == 0

    page.context.set_offline(True)
    scan(page, code_for(people[-1]))
    page.wait_for_selector("#gate[data-state=allow][data-source=offline]")
    assert mask_name(people[-1].name) in page.inner_text("#answer")
    settled(page)
    screenshot(page, "gates-kiosk-storage-full")


def test_without_indexeddb_the_page_says_so_and_answers_online(desktop_page, device_token, student):
    page = desktop_page
    page.add_init_script("delete window.indexedDB; window.indexedDB = undefined;")
    page.goto(f"/gates/kiosk/#token={device_token}")
    page.wait_for_selector("#gate[data-synced=true]")
    assert "IndexedDB 不可用" in page.inner_text("#problem")

    scan(page, code_for(student))
    page.wait_for_selector("#gate[data-state=allow][data-source=online]")
