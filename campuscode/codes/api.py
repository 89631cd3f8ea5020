from ninja import Router, Schema

from campuscode.codes import keys as keystore
from campuscode.codes.tokens import PREFIX, TOKEN_BYTES

router = Router(tags=["codes"])


class PublicKey(Schema):
    kid: str
    algorithm: str = "Ed25519"
    public_key: str  # base64url of the 32 raw bytes
    created: str
    active: bool


class KeySet(Schema):
    token_prefix: str
    token_bytes: int
    keys: list[PublicKey]


@router.get("/keys", response=KeySet, summary="Public keys that verify campus codes")
def public_keys(request):
    """The keys an offline verifier needs. Retired keys are left out, so their codes fail."""
    import base64

    ring = keystore.load_keyring()
    return {
        "token_prefix": PREFIX,
        "token_bytes": TOKEN_BYTES,
        "keys": [
            {
                "kid": key.kid,
                "public_key": base64.urlsafe_b64encode(key.public_bytes).rstrip(b"=").decode(),
                "created": key.created,
                "active": key.kid == ring.active,
            }
            for key in ring.verifying().values()
        ],
    }
