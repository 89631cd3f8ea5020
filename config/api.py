"""The device and integration API (Django Ninja); its OpenAPI schema is at /api/v1/openapi.json
and its documentation at /api/v1/docs, both served from this installation (no CDN)."""

from ninja import NinjaAPI

from campuscode.checkins.scan_api import router as checkin_scan_router
from campuscode.codes.api import router as codes_router
from campuscode.gates.api import router as gates_router

api = NinjaAPI(
    title="Campus Code API",
    version="1",
    description="Public keys for offline verifiers, gate devices and kiosks.",
    urls_namespace="api",
)
api.add_router("/codes/", codes_router)
api.add_router("/gates/", gates_router)
api.add_router("/checkins/", checkin_scan_router)
