"""The project's URLs plus two bench-only views (production URLs have neither), both through
the same middleware as every page:

- /bench-hello/: hello-world, the baseline the verify API is compared with.
- /bench-floor/: the least a verify must do, hand-written with nothing else: check the
  signature, look the gate up by its token, read the person, store one event row. It
  shows how much of the gap to hello-world is the work itself rather than our code.
"""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from campuscode.codes import keys
from campuscode.codes.tokens import check_signature
from campuscode.gates.models import hash_device_token
from config.urls import urlpatterns as project_urls


def hello(request):
    return JsonResponse({"hello": "world"})


@csrf_exempt
def floor(request):
    body = json.loads(request.body)
    _reason, claims = check_signature(body["token"], keys.load_keyring().public_keys)
    device = request.headers["Authorization"].removeprefix("Bearer ")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, place_id FROM gates_gate WHERE token_hash = %s AND revoked_at IS NULL",
            [hash_device_token(device)],
        )
        gate_id, place_id = cursor.fetchone()
        cursor.execute(
            "SELECT p.name, u.name FROM people_person p"
            " JOIN people_orgunit u ON u.id = p.org_unit_id WHERE p.id = %s",
            [claims.person_id],
        )
        cursor.fetchone()
        cursor.execute(
            "INSERT INTO gates_gateevent (gate_id, place_id, direction, person_id, at, allowed,"
            " reason, notice, colour, token_fp, nonce, source, received_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, 'ok', '', 'green', '', %s, 'online', %s)"
            " RETURNING id",
            [gate_id, place_id, body["direction"], claims.person_id, now, True, body["nonce"], now],
        )
        event_id = cursor.fetchone()[0]
    return JsonResponse({"allowed": True, "event_id": event_id})


urlpatterns = [path("bench-hello/", hello), path("bench-floor/", floor), *project_urls]
